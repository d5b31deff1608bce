# expect: blocked
import time
print('ESCAPED', time.clock_settime)
