# expect: blocked
import collections
print('ESCAPED', collections._sys.modules['posix'])
