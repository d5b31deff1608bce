# expect: blocked
# copy.deepcopy (Python) of a structure nested deeper than the limit, and
# a RecursionError handler that recurses again.
import copy
x = []
for _ in range(100000):
    x = [x]
def again(n):
    try:
        copy.deepcopy(x)
    except RecursionError:
        if n:
            again(n - 1)
again(50)
