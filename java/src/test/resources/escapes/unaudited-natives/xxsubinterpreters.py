# expect: blocked
import _xxsubinterpreters
print('ESCAPED', _xxsubinterpreters.run_string)
