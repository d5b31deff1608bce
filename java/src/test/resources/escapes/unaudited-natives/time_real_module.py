# expect: blocked
import time
print('ESCAPED', time.time.__self__)
