# expect: blocked
import _posixsubprocess
print('ESCAPED', _posixsubprocess.fork_exec)
