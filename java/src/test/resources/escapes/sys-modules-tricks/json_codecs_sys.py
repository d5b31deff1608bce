# expect: blocked
import json
print('ESCAPED', json.codecs.sys.modules['posix'])
