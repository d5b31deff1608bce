# expect: blocked
# Same family as bytearray_setitem_index_grow_uaf.py, through the key: in
# 3.11.2 bytearray_ass_subscript takes the buffer pointer before converting
# the index (or a slice's bounds) with __index__.  A key whose __index__
# grows the array moves its buffer, and the store goes into the freed old
# buffer (b[k] = v, b[k:n:2] = ...; del b[k::2] memmoves there and crashed
# plain python3.11).  objcap converts keys and values to ints first.
b = bytearray(b'A' * 24)

class At12:
    def __index__(self):
        b.extend(b'B' * 100000)   # the 25-byte buffer is freed, data moved
        return 12

b[At12()] = 0x42
if b[12] != 0x42:
    print('ESCAPED: b[k] = v wrote into the freed old buffer (b[12] is',
          b[12], 'not 0x42)')

b = bytearray(b'A' * 24)
b[At12():20:2] = bytearray(b'xyzw')   # a bytearray: converted once
if b[12:20:2] != b'xyzw':
    print('ESCAPED: b[k:n:2] = ... wrote into the freed old buffer (got',
          bytes(b[12:20:2]), ')')
