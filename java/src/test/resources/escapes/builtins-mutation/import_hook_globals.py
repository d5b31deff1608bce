# expect: blocked
# Red team: builtins are shared with stdlib code, so a replaced __import__
# sees the globals of modules that import; they must hold nothing real.
import builtins
seen = []
real = builtins.__import__
def spy(name, globals=None, *rest, **kw):
    if isinstance(globals, dict):
        seen.append(globals)
    return real(name, globals, *rest, **kw)
builtins.__import__ = spy
try:
    for codec in ('idna', 'cp437', 'utf-16', 'punycode'):
        try:
            'x'.encode(codec)
        except LookupError:
            pass
    import json, decimal, statistics
finally:
    builtins.__import__ = real
for g in seen:
    s = g.get('sys')
    if s is not None and hasattr(s, '_getframe'):
        print('ESCAPED: real sys in', g.get('__name__'))
    o = g.get('os')
    if o is not None and hasattr(o, 'system'):
        print('ESCAPED: real os in', g.get('__name__'))
print(len(seen), 'globals seen')
