# expect: blocked
import enum
print('ESCAPED', enum.sys._getframe)
