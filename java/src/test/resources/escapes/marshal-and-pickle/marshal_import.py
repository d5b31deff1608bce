# expect: blocked
import marshal
print('ESCAPED', marshal.loads)
