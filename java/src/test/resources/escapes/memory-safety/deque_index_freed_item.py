# expect: blocked
# CPython gh-115243 (fixed upstream Feb 2024 in 3.12/3.13, not in 3.11):
# deque.index compares each item through a borrowed pointer
# (b->data[index], no Py_INCREF).  The item's __eq__ can clear the deque;
# its last reference is then the frame's `self`, dropped as __eq__ returns,
# and do_richcompare calls the reflected __eq__ of the value searched for
# with the freed item: Python code receives a deallocated object (a
# controlled use-after-free, the same primitive as list_compare_freed_operand
# and ordereddict_eq_clear_uaf).  The round-1 POC (index(3)) does not crash;
# this form reaches the freed object deterministically.
from collections import deque
dead = set()
seen = []
class Victim:
    def __del__(self):
        dead.add(id(self))
    def __eq__(self, other):
        d.clear()              # the deque's reference is the last but ours
        return NotImplemented  # ...dropped as this frame returns
class Catcher:
    def __eq__(self, other):   # the reflected call gets the freed Victim
        if id(other) in dead:
            seen.append(1)
        return False
d = deque([Victim()])
try:
    d.index(Catcher())
except (RuntimeError, ValueError):
    pass
if seen:
    print('ESCAPED: deque.index handed __eq__ an object already finalized and freed')
