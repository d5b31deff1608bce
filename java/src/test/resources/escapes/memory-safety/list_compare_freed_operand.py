# expect: blocked
# CPython gh-120298 (fixed upstream in June 2024, not in 3.11): list < list (and
# <=, >, >=; bisect, heapq and deque reach it too, gh-115706) compares the
# first differing items through borrowed pointers.  The left item's __lt__
# can drop the right list's last reference to its item; do_richcompare then
# calls the freed object's reflected __gt__, handing Python a deallocated
# object (its refcount field is a pymalloc free-list pointer): a controlled
# use-after-free.  PYTHONMALLOC=debug python3.11 segfaults.
dead = set()
seen = []

class Victim:
    def __del__(self):
        dead.add(id(self))

    def __gt__(self, other):
        if id(self) in dead:
            seen.append(1)
        return True

class Dropper:
    def __lt__(self, other):
        right.clear()          # the Victim's last reference is `other`
        return NotImplemented  # ...dropped as this frame returns

right = [Victim()]
try:
    [Dropper()] < right
except (TypeError, RuntimeError):
    pass
if seen:
    print('ESCAPED: list comparison called __gt__ on an object already'
          ' finalized and freed')
