# expect: blocked
# CPython gh-91153 (the first fix, in 3.11, only moved the bounds check; the
# full fix, gh-132379, came in 2025): bytearray.__setitem__ takes the
# buffer pointer before converting the value with __index__.  An __index__
# that grows the bytearray moves its buffer (realloc), and the byte is then
# written into the freed old buffer: a one-byte write into freed heap at a
# chosen offset (at offset < 8 it corrupts pymalloc's free list: plain
# python3.11 segfaults, and in-process the JVM died with hs_err).
b = bytearray(b'A' * 16)

class Grow:
    def __index__(self):
        b.extend(b'B' * 100000)   # the 17-byte buffer is freed, data moved
        return 0x42

b[12] = Grow()
if b[12] != 0x42:
    print('ESCAPED: bytearray.__setitem__ wrote its byte into the freed old buffer'
          ' (b[12] is', b[12], 'not 0x42)')
