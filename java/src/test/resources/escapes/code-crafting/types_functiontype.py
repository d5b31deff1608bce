# expect: blocked
import types
print('ESCAPED', types.FunctionType((lambda: 1).__code__, {'__builtins__': {}})())
