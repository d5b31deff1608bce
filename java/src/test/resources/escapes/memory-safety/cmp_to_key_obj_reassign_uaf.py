# expect: blocked
# functools.cmp_to_key: keyobject_richcompare passes both wrapped objects to
# cmp as borrowed pointers (stack[0] = ko->object), and the key's `obj` member
# is writable (T_OBJECT, flags 0).  With a C cmp (operator.eq), the object's
# own __eq__ can assign `k.obj = None`, dropping the wrapper's reference; the
# frame's `self` is then the last one, released as __eq__ returns
# NotImplemented, and do_richcompare hands the freed object to the other
# operand's reflected __eq__: a controlled use-after-free.  No upstream issue
# found (3.11.2 through main share the code).  Debian's python3.11 reaches it
# without crashing.
import functools, operator
dead = set()
seen = []
class Victim:
    def __del__(self):
        dead.add(id(self))
    def __eq__(self, other):
        ka.obj = None          # K's reference was the last but our frame's
        return NotImplemented
class Catcher:
    def __eq__(self, other):   # reflected: `other` is the freed Victim
        if id(other) in dead:
            seen.append(1)
        return False
K = functools.cmp_to_key(operator.eq)  # a C cmp: its arguments stay borrowed
ka = K(Victim())
kb = K(Catcher())
try:
    ka < kb
except TypeError:
    pass
if seen:
    print('ESCAPED: cmp_to_key handed __eq__ an object already finalized and freed')
