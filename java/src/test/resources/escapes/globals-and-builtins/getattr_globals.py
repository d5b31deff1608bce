# expect: blocked
g = getattr(len, '__globals__', None)
h = getattr(lambda: 0, '__globals__', 'missing')
if h != 'missing':
    print('ESCAPED', h)
print(type(h))
