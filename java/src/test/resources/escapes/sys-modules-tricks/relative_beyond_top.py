# expect: blocked
__package__ = 'json'
from .. import posix
print('ESCAPED', posix)
