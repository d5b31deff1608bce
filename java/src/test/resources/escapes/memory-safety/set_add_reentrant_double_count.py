# expect: blocked
# CPython gh-141805 / gh-139071 (type-crash, fixed upstream in late 2025, not
# in 3.11): set_add_entry remembers a dummy slot (freeslot) while it calls a
# colliding key's __eq__; if that __eq__ adds the same key to the set, the
# inner add fills the slot and counts it, and the outer add fills it again and
# counts it again.  set.used then exceeds the entries the table holds, and
# set_dealloc / set.clear (which stop after `used` live entries) walk past the
# end of the table and Py_DECREF whatever heap words follow: an out-of-bounds
# read and a decref of script-influenced pointers.  /usr/bin/python3.11
# segfaults in set_dealloc; in-process the JVM dies in _Py_Dealloc.
s = set()

class Filler:
    def __hash__(self):
        return 0

class Adder:
    armed = True
    def __hash__(self):
        return 0
    def __eq__(self, other):
        if self.armed:
            self.armed = False
            s.add(self)       # fills the dummy slot the outer add remembered
        return False          # the outer add fills it again: used += 2

for i in range(200):
    s.add(Filler())
    s.add(Filler())
    s.discard(next(x for x in s if type(x) is Filler))   # leave a dummy slot
    s.add(Adder())

held = sum(1 for _ in s)
if len(s) != held:
    print('ESCAPED: set counts %d entries but its table holds %d; freeing it'
          ' decrefs words past the table' % (len(s), held))
del s
