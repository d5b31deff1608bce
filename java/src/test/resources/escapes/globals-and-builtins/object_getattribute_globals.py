# expect: blocked
print('ESCAPED', object.__getattribute__(lambda: 0, '__globals__'))
