# expect: blocked
import json
json.__name__ = 'encodings'
from json import aliases
if hasattr(aliases, 'sys'):
    print('ESCAPED', aliases.sys)
print(aliases)
