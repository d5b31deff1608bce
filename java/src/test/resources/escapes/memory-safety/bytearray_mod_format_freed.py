# expect: blocked
# Found while guarding bytearray (no CPython issue seen; 3.11.2 and later):
# `fmt % args` for a bytearray fmt hands _PyBytes_FormatEx the format's
# pointer and length, then calls the arguments' __bytes__/__index__; one
# that clears fmt makes the rest of the format be read from the freed
# buffer and copied into the result: a read of freed heap (plain
# python3.11 shows pymalloc's free-list pointer, a heap address).
fmt = bytearray(b'%s' + b'X' * 200)

class Clears:
    def __bytes__(self):
        fmt.clear()           # frees the 203-byte buffer
        return b'e'

try:
    out = fmt % Clears()
except BufferError:
    out = b'e' + b'X' * 200
if out[1:] != b'X' * 200:
    print('ESCAPED: bytearray % copied a freed buffer into its result:',
          bytes(out[1:17]).hex())
