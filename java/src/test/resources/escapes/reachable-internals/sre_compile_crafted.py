# expect: blocked
# modes: process
# Red team: _sre is reachable through sys.modules (re imports it). Its
# compile() takes raw regex bytecode; CPython validates it, and a bad
# program must fail cleanly (in a worker a crash would be contained).
import sys
_sre = sys.modules['_sre']
for code in ([17, 0, 0, 0, 1, 2, 3], [1] * 64, [0xffffffff] * 16, list(range(40))):
    try:
        p = _sre.compile('x', 0, code, 0, {}, (None,))
        p.match('x' * 100)
        print('compiled crafted code', code[:4])
    except (RuntimeError, TypeError, ValueError, OverflowError):
        pass
