# expect: blocked
# Red team: exec() runs any code object, with a closure of the caller's
# choosing; it must not reach another function's globals or cells.
import json, types
code = json.dumps.__code__
try:
    exec(code, {})
except TypeError:
    pass
def outer():
    secret = 'cell'
    return lambda: secret
inner = outer()
try:
    cells = inner.__closure__
    print('ESCAPED: read a closure', cells)
except AttributeError:
    pass
g = {}
exec((lambda: globals()).__code__, g)
if '__builtins__' in g and hasattr(g['__builtins__'], 'get'):
    b = g['__builtins__']
    if 'open' in b and b['open'].__name__ != 'open':
        print('ESCAPED: a real open in builtins')
