# expect: blocked
import sys
sys.modules['posix'] = 1
import posix
print('ESCAPED', posix)
