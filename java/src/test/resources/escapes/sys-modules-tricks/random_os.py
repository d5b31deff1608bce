# expect: blocked
import random
print('ESCAPED', random._os.system)
