# expect: blocked
import random
print('ESCAPED', random._os.urandom.__self__)
