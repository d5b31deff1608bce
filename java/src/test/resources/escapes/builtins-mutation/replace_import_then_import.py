# expect: blocked
import builtins
real = builtins.__import__
builtins.__import__ = lambda *a, **k: real(*a, **k)
import json
import posix
print('ESCAPED', posix)
