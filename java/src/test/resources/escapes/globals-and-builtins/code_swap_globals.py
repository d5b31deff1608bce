# expect: blocked
import json
def g(*a, **k):
    return globals()
json.dumps.__code__ = g.__code__
print('ESCAPED', json.dumps()['__builtins__'])
