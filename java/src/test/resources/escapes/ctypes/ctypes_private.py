# expect: blocked
import _ctypes
print('ESCAPED', _ctypes)
