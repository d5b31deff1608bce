# expect: blocked
import types
print('ESCAPED', types.CodeType.__new__(types.CodeType, 0, 0, 0, 0, 0, 0, b'', (), (), (), '', '', '', 0, b'', b'', (), ()))
