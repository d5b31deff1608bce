# expect: blocked
# CPython gh-142558 / gh-142559 / gh-142560 (fixed upstream by gh-142938,
# 3.13+/3.14+; never in Debian's 3.11.2): bytearray.count/find/index/rfind/
# rindex take the buffer pointer and length first, then convert the argument
# with __index__.  An __index__ that shrinks or clears the bytearray leaves
# the search running over the stale length and, after clear(), over freed
# memory (plain python3.11 segfaults; in-process the JVM died, hs_err).
# Here the shrink is in place (the buffer is kept), so the stale read is
# deterministic and shows as more matches than the array has bytes; with
# victim.clear() instead, find() walks a freed (unmapped, for 1 MiB) buffer.
# find, rfind, index and rindex take the same path (index shown below too).
victim = bytearray(b'A' * 100)

class Byte:
    def __index__(self):
        del victim[60:]        # 60 bytes left, buffer not moved
        return ord('A')

try:
    n = victim.count(Byte())
except BufferError:            # objcap: the array is exported while searched
    n = 0
if n > len(victim):
    print('ESCAPED: bytearray.count found', n, 'bytes in a', len(victim),
          'byte array (read past its end)')


victim = bytearray(b'A' * 100 + b'Z')

class Zed:
    def __index__(self):
        del victim[60:]
        return ord('Z')

try:
    i = victim.index(Zed())
    print('ESCAPED: bytearray.index found a byte at', i, 'past the end of a',
          len(victim), 'byte array')
except (ValueError, BufferError):
    pass
