# expect: blocked
import _imp
print('ESCAPED', _imp)
