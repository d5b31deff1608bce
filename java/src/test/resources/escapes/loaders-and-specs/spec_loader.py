# expect: blocked
import json
print('ESCAPED', json.__spec__.loader.create_module(json.__spec__))
