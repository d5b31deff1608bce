# expect: blocked
import os
print('ESCAPED', os.listdir('/'))
