# expect: blocked
# Red team (process mode): array.__setitem__ checked the index, then called
# __index__, which shrank the array, then wrote at the old index: 8 bytes
# past the buffer.  objcap converts the value first, so the write sees the
# new size.  (The full exploit chain is array_index_shrink_escape.py.)
import array
a = array.array('q', [0] * 200)
class Shrink:
    def __index__(self):
        del a[1:]
        return 0x4141414141414141
try:
    a[20] = Shrink()
    print('ESCAPED: wrote index 20 of an array of', len(a))
except IndexError:
    pass
for call in (lambda: a.append(Shrink()), lambda: a.insert(150, Shrink()),
             lambda: a.extend([Shrink()]), lambda: a.fromlist([Shrink()])):
    a = array.array('q', [0] * 200)
    call()
    if len(a) != 2 or a[-1] != 0x4141414141414141:
        print('ESCAPED: array of', len(a), 'after a shrinking value')
