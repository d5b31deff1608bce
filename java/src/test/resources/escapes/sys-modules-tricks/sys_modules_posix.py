# expect: blocked
import sys
print('ESCAPED', sys.modules['posix'])
