# expect: blocked
# iter(callable, sentinel): calliter_iternext compares it->it_sentinel with
# the result through a borrowed pointer.  The sentinel's __eq__ can call next()
# on the same iterator; the inner call sees an equal value and Py_CLEARs
# it_sentinel, so the frame's `self` is the sentinel's last reference, dropped
# as __eq__ returns NotImplemented; do_richcompare then calls the result's
# reflected __eq__ with the freed sentinel: a controlled use-after-free.
# Related to CPython gh-101892 (the call itself exhausting the iterator, a
# SystemError, fixed in 3.11.3 by a NULL check that leaves this form open).
# Debian's python3.11 and PYTHONMALLOC=debug reach it without crashing.
dead = set()
seen = []
class Sentinel:
    inner = False
    def __del__(self):
        dead.add(id(self))
    def __eq__(self, other):
        if not self.inner:
            self.inner = True
            next(it, None)         # inner compare says equal: it_sentinel cleared
            return NotImplemented  # our frame's `self` was the last reference
        return True
class Result:
    def __eq__(self, other):       # reflected: `other` is the freed sentinel
        if id(other) in dead:
            seen.append(1)
        return False
it = iter(Result, Sentinel())
try:
    next(it)
except StopIteration:
    pass
if seen:
    print('ESCAPED: callable iterator handed __eq__ its sentinel after freeing it')
