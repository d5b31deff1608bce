# expect: blocked
import typing
print('ESCAPED', typing.sys.modules['posix'])
