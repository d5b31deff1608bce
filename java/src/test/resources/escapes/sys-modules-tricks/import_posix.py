# expect: blocked
import posix
print('ESCAPED', posix.listdir('/'))
