# expect: blocked
import string
print('ESCAPED', string.Formatter().format('{0.__globals__}', lambda: 0))
