# expect: blocked
import json
json.__name__ = 'os'
from json import path
print('ESCAPED', path.exists)
