# expect: blocked
# Red team: cycle.__setstate__ keeps a borrowed list; shrinking it makes
# next() return a freed object (use-after-free).
import itertools
class Marker:
    pass
L = [Marker(), Marker(), Marker()]
c = itertools.cycle([])
c.__setstate__((L, True))
next(c); next(c); next(c)
del L[1:]
print('ESCAPED: stale object', next(c))
