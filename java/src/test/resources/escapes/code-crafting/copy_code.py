# expect: blocked
import copy
print('ESCAPED', copy.copy((lambda: 0).__code__).replace)
