# expect: blocked
import copyreg
print(copyreg._reconstructor)
import sys
print('ESCAPED', sys.modules['posix'])
