# expect: blocked
import json
print('ESCAPED', json.JSONEncoder.default.__globals__)
