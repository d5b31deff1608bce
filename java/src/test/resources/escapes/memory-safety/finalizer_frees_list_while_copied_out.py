# expect: blocked
# (Found by review.) Copying a value out of the sandbox (here as a host
# function's arguments; a call's result takes the same path) packs a tuple's
# items into a new list, an allocation that can run the collector, whose
# finalizer empties the very list being walked: the walk then read freed
# items (in-process it crashed the JVM).  Packing now keeps the collector
# off and holds each item.
class X:
    pass

class D:
    def __init__(self):
        self.me = self
    def __del__(self):
        victim.clear()
        spray.append([12345.5] * 20000)

class Sentinel:
    def __init__(self):
        self.me = self
    def __del__(self):
        fired[0] = True

spray = []
for eps in range(-40, 40, 2):
    deep = 0
    for _ in range(30):
        deep = (deep,)
    victim = [deep] + [((i,),) for i in range(20000)]
    keep = []
    fired = [False]
    Sentinel()
    while not fired[0]:          # a collection just ran
        keep.append(X())
    for _ in range(5):
        D()
    for _ in range(700 - 5 - eps):
        keep.append(X())
    try:
        ECHO(victim)
    except (TypeError, ValueError):
        pass
    spray.clear()
print('done')
