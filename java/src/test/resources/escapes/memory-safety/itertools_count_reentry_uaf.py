# expect: blocked
# CPython gh-154670: count borrows its running total while adding the step;
# a step whose __radd__ calls next() on the same count frees that total,
# and the outer call returns it dangling.
from itertools import count
entered = []
class Step:
    armed = True
    def __index__(self):
        return 1
    def __radd__(self, other):
        if Step.armed:
            Step.armed = False
            try:
                inner = next(c)
                entered.append(inner)
                f"{inner!r}"
            except RuntimeError:
                pass
        return other + 1
c = count(1 << 100, Step())
try:
    val = next(c)
    print(val + 1)
except RuntimeError:
    pass
if entered:
    print('ESCAPED: count was re-entered')
