# expect: blocked
__package__ = 'encodings'
from . import aliases
if hasattr(aliases, 'sys'):
    print('ESCAPED')
print('ok')
