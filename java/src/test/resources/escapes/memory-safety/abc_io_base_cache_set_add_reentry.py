# expect: blocked
# The same attack as abc_negative_cache_set_add_reentry.py against an ABC
# a sandbox gets from the interpreter's start-up (io.IOBase, whose ABCMeta
# methods use the abc module that io loaded, not the sandbox's own abc):
# an issubclass() from a metaclass __eq__ adds to the negative cache that
# is being added to.  Wrapping only the sandbox's abc would leave this open;
# it must be refused as well, on every CPython with the set bug (gh-141805;
# native/src/bare/guards/cpython_bugs.c says which).
#
# What is observed is the harm, not the re-entry: the outer add fills the
# slot the inner add filled, so a class checked inside is missing from the
# cache (and set.used counts an entry the table lacks).  Where CPython has
# the fix, set_add_entry starts over and both classes are cached.  How many
# comparisons io.IOBase's check makes before that last add differs between
# versions: a first run from cleared caches counts them, and the attack,
# from the same state, re-enters at the last one (the add's).
import io

state = {'calls': 0, 'trigger': 0, 'inner': None}

class M(type):
    def __hash__(cls):
        return 0
    def __eq__(cls, other):
        state['calls'] += 1
        if state['calls'] == state['trigger']:
            state['trigger'] = 0
            issubclass(state['inner'], io.IOBase)   # inner add, same cache
        return cls is other

def make(name):
    return M(name, (), {})

def collect():
    junk = []
    for i in range(30000):
        junk.append([i])   # enough allocations to run the cyclic GC
    del junk

IO_ABCS = (io.IOBase, io.RawIOBase, io.BufferedIOBase, io.TextIOBase)

def attempt(trigger):
    """The classes the cache holds after an issubclass() that re-enters at
    comparison `trigger` (0: never), and the number of comparisons made;
    None when the re-entry was refused."""
    state['inner'] = None
    collect()          # the classes of the attempt before
    for c in IO_ABCS:
        c._abc_caches_clear()
    x0 = make('X0'); x1 = make('X1')
    issubclass(x0, io.IOBase); issubclass(x1, io.IOBase)
    del x0
    collect()          # frees X0; its weakref's callback leaves a dummy slot
    x2 = make('X2'); x3 = make('X3')
    state['inner'] = x3
    state['calls'] = 0
    state['trigger'] = trigger
    try:
        issubclass(x2, io.IOBase)
    except RuntimeError:
        return None        # refused
    calls, state['trigger'] = state['calls'], 0
    return negative_cache(), calls

def negative_cache():
    """The names of the classes io.IOBase's negative cache holds, as its
    own ABCMeta reports them (the sandbox's abc._get_dump refuses the
    start-up abc's data)."""
    printed = []
    class Out:
        def write(self, text):
            printed.append(text)
    type(io.IOBase)._dump_registry(io.IOBase, Out())
    line = next(l for l in ''.join(printed).splitlines()
                if l.startswith('_abc_negative_cache:'))
    return {n for n in ('X0', 'X1', 'X2', 'X3') if '(%s)' % n in line}

last = attempt(0)[1]
for trigger in range(last, 0, -1):
    result = attempt(trigger)
    if result is None:
        break
    if 'X2' in result[0] and 'X3' not in result[0]:
        print("ESCAPED: io.IOBase's negative cache lost an add made from"
              " inside an add to it (re-entry at comparison %d)" % trigger)
        break
