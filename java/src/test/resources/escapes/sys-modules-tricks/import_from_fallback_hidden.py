# expect: blocked
import json
json.__name__ = ''
from json import hidden
print('ESCAPED', hidden)
