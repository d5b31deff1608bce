# expect: blocked
import builtins
print('ESCAPED', builtins.__loader__)
