# expect: blocked
import dataclasses
print('ESCAPED', dataclasses.inspect.sys.modules['gc'])
