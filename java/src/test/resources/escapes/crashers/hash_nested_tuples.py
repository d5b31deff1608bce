# expect: blocked
# modes: process
# hash() of nested tuples recurses in C without a recursion check on
# 3.11: a C-stack overflow (as map chains are) that in-process would take
# the host down (docs/threat-model.md); a worker must die alone.
t = ()
for _ in range(2000000):
    t = (t,)
hash(t)
