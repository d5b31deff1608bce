# expect: blocked
import json
f = getattr(json, '__file__', None)
if f is not None and 'python' in f:
    print('path only:', f)
print('ok')
