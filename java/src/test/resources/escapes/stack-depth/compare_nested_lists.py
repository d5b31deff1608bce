# expect: blocked
# Deep C recursion (comparing nested lists recurses in C alone): it must
# end as a RecursionError, on the caller's own stack, on its large stack
# (a Java thread's default stack on 3.11 to 3.13) and on the sandbox's
# thread. (repr would do too, but on 3.14, whose depth the stack sets,
# repr is quadratic in the depth: tens of seconds on a big stack.)
x, y = [], []
for _ in range(2000000):
    x, y = [x], [y]
try:
    x == y
except RecursionError:
    pass
