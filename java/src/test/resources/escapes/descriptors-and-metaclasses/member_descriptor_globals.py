# expect: blocked
import types
d = types.FunctionType.__dict__['__globals__']
print('ESCAPED', d.__get__(lambda: 0, None))
