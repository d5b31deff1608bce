# expect: blocked
import dataclasses
print('ESCAPED', dataclasses.inspect.os.system)
