# expect: blocked
import json
print('ESCAPED', '{0.__init__.__globals__}'.format(json.JSONDecoder()))
