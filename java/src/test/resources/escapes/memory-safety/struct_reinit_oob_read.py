# expect: blocked
# Red team: re-initializing a live Struct made an iter_unpack iterator read
# past its buffer with the new size (heap pointers leaked, then a full
# escape through an arbitrary read/write).
import struct
s = struct.Struct('b')
it = s.iter_unpack(bytes(8))
s.__init__('64s')
leak = next(it)
print('ESCAPED: read', len(leak[0]), 'bytes past the buffer')
