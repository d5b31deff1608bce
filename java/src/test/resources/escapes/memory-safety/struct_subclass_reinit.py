# expect: blocked
import struct
class S(struct.Struct):
    pass
s = S('b')
it = s.iter_unpack(bytes(8))
struct.Struct.__init__(s, '64s')
print('ESCAPED', next(it))
