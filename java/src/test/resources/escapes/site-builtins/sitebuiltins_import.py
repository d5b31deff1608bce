# expect: blocked
import _sitebuiltins
print('ESCAPED', _sitebuiltins._Printer('x', CANARY)())
