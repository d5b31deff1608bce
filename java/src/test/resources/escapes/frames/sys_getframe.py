# expect: blocked
import sys
print('ESCAPED', sys._getframe(0).f_back)
