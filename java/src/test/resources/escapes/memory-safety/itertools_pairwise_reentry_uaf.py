# expect: blocked
# CPython gh-109786/gh-149557: pairwise's next keeps a borrowed pointer to
# its source while calling it; a source that calls next() on the same
# pairwise frees it (use-after-free; plain python3.11 segfaults, and
# in-process it took the JVM down).  The re-entry must be refused.
from itertools import pairwise
refused = 0
def source():
    global refused
    try:
        yield next(it)
    except RuntimeError:
        refused += 1
        yield 1
        yield 2
    except ValueError:  # "generator already executing": pairwise let it in
        pass
for _ in range(2000):
    try:
        it = pairwise(source())
        next(it)
    except (ValueError, RuntimeError, StopIteration):
        pass
if refused != 2000:
    print('ESCAPED: pairwise was re-entered', 2000 - refused, 'times')
