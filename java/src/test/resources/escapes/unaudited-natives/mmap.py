# expect: blocked
import mmap
print('ESCAPED', mmap)
