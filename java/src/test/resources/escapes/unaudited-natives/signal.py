# expect: blocked
import signal
print('ESCAPED', signal.SIGKILL)
