# expect: blocked
import sys
print('ESCAPED', sys._getframe, sys.path)
