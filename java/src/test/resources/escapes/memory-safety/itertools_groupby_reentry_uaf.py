# expect: blocked
# CPython gh-143543/gh-146613: groupby and its _grouper compare keys they
# hold borrowed; a key whose __eq__ advances the groupby frees them.  Both
# the groupby and the group share its state, so either re-entry is refused.
import itertools
entered = []
class Key:
    __hash__ = None
    def __eq__(self, other):
        for it in targets:
            try:
                next(it)
                entered.append(type(it).__name__)
            except (RuntimeError, StopIteration):
                pass
        return NotImplemented
targets = []
g = itertools.groupby([Key(), Key(), Key(), Key()])
k, group = next(g)
targets[:] = [g]
try:
    next(group)
except RuntimeError:
    pass
g2 = itertools.groupby([Key(), Key(), Key()])
targets[:] = [g2]
try:
    list(g2)
except RuntimeError:
    pass
targets[:] = []
if entered:
    print('ESCAPED: re-entered', entered)
