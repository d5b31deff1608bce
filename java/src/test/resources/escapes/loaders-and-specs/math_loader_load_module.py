# expect: blocked
import math
print('ESCAPED', math.__loader__.load_module('posix'))
