# expect: blocked
import json
print('ESCAPED', json.__loader__.get_data(CANARY))
