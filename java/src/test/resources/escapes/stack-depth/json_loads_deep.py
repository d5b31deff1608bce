# expect: blocked
# The C JSON decoder recursing into nested arrays and objects.
import json
for text in ('[' * 500000, '{"a":' * 500000):
    try:
        json.loads(text)
    except (RecursionError, ValueError):
        pass
