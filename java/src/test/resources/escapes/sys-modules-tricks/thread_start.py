# expect: blocked
import dataclasses
print('ESCAPED', dataclasses._thread.start_new_thread)
