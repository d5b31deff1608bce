# expect: blocked
import inspect
print('ESCAPED', inspect)
