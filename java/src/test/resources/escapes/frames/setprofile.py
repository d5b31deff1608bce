# expect: blocked
import sys
print('ESCAPED', sys.setprofile)
