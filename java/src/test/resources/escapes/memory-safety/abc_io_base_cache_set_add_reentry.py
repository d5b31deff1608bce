# expect: blocked
# The same attack as abc_negative_cache_set_add_reentry.py against an ABC
# a sandbox gets from the interpreter's start-up (io.IOBase, whose ABCMeta
# methods use the abc module that io loaded, not the sandbox's own abc):
# an issubclass() from a metaclass __eq__ adds to the negative cache that
# is being added to.  Wrapping only the sandbox's abc would leave this open;
# it must be refused as well.
import io

state = {'calls': 0, 'trigger': 0, 'inner': None, 'refused': False}

class M(type):
    def __hash__(cls):
        return 0
    def __eq__(cls, other):
        state['calls'] += 1
        if state['calls'] == state['trigger']:
            state['trigger'] = 0
            try:
                issubclass(state['inner'], io.IOBase)   # inner add, same cache
            except RuntimeError:
                state['refused'] = True
                raise
        return cls is other

def make(name):
    return M(name, (), {})

X0 = make('X0'); X1 = make('X1')
issubclass(X0, io.IOBase); issubclass(X1, io.IOBase)
del X0
junk = []
for i in range(30000):
    junk.append([i])   # the cyclic GC frees X0; its callback leaves a dummy
del junk
X2 = make('X2'); X3 = make('X3')
state['inner'] = X3
state['calls'] = 0
state['trigger'] = 2
try:
    issubclass(X2, io.IOBase)
except RuntimeError:
    pass
if state['trigger'] == 0 and not state['refused']:
    print('ESCAPED: io.IOBase\'s negative cache was added to from inside an add to it')
