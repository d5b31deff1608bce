# expect: blocked
import types
def outer():
    secret = 42
    return lambda: secret
f = outer()
print('ESCAPED', f.__closure__[0].cell_contents)
