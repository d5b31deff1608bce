# expect: blocked
import ctypes
print('ESCAPED', ctypes.pythonapi)
