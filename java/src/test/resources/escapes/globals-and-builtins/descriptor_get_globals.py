# expect: blocked
f = lambda: 0
d = type(f).__dict__['__globals__']
print('ESCAPED', d.__get__(f))
