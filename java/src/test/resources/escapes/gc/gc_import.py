# expect: blocked
import gc
print('ESCAPED', gc.get_objects())
