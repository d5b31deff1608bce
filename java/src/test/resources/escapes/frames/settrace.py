# expect: blocked
import sys
print('ESCAPED', sys.settrace)
