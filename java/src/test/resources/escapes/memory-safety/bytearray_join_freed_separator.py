# expect: blocked
# CPython gh-112625 (fixed in 3.11.8/3.12.1; not in Debian's 3.11.2):
# bytearray.join takes the separator's pointer and length before iterating
# its argument; an iterable that clears the separator makes join copy the
# freed separator buffer into the result: a read of freed heap memory
# (pymalloc free-list pointers, other objects' data; the issue shows it
# leaking a live object's fields, the first step of an address-based
# escape).  With PYTHONMALLOC=debug plain python3.11 segfaults.
sep = bytearray(b'S' * 64)

def parts():
    sep.clear()               # frees the separator's 65-byte buffer
    yield b'a'
    yield b'b'

try:
    out = sep.join(parts())
except (BufferError, RuntimeError):
    out = b'ab'
if len(out) > 2:
    print('ESCAPED: bytearray.join copied', len(out) - 2,
          'bytes of a freed buffer:', bytes(out[1:17]).hex())
