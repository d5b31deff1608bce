# expect: blocked
import json
print('ESCAPED', '{x.dumps.__globals__[sys]}'.format_map({'x': json}))
