# expect: blocked
# CPython gh-144475/gh-154189: functools.partial's repr and call read its
# args tuple through borrowed pointers while running Python code that can
# call __setstate__ on the same partial, freeing that tuple: repr reads
# past the end of the smaller tuple that replaced it (a use-after-free /
# out-of-bounds read).  __setstate__ exists only for pickle and copy.
from functools import partial
reached = []
class Evil:
    def __repr__(self):
        try:
            p.__setstate__((print, (), {}, None))
            reached.append('repr')
        except AttributeError:
            pass
        return 'evil'
for _ in range(200):
    p = partial(print, Evil(), *[object() for _ in range(50)])
    repr(p)
if reached:
    print('ESCAPED: partial.__setstate__ replaced the args its repr was reading')
