# expect: blocked
# Red team: pack_into walks the codes freed by a re-init from __index__,
# writing past the size it checked (the write half of the escape).
import struct
s = struct.Struct('<B4q')
W = bytearray(64)
class Evil:
    def __index__(self):
        s.__init__('<B4qB')
        s.__init__('<B2000x4q')
        return 1
s.pack_into(W, 0, Evil(), 1, 2, 3, 4)
print('ESCAPED: pack_into wrote with a re-initialized Struct')
