# expect: blocked
import _thread
print('ESCAPED', _thread.start_new_thread)
