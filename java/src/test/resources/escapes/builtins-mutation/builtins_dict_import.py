# expect: blocked
print('ESCAPED', __builtins__.__dict__['__import__'].__self__.modules)
