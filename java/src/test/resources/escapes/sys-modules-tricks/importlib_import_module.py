# expect: blocked
import dataclasses
print('ESCAPED', dataclasses.inspect.importlib.import_module('posix'))
