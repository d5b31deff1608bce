# expect: blocked
import json
ns = dict(vars(json))
exec('import posix', ns)
print('ESCAPED', ns['posix'])
