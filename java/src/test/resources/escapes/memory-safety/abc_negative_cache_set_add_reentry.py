# expect: blocked
# gh-139071 / gh-141805 reached around set_guard.c: set_guard wraps the set
# methods and slots (add, update, |= ...), but C code calls PySet_Add
# directly.  _abc (the C ABCMeta behind abc, allowed by default) keeps its
# caches as sets of weakrefs and adds with PySet_Add(set, weakref(cls)); the
# weakref's hash and __eq__ are the class's, i.e. a metaclass's __hash__ and
# __eq__.  A dead class's weakref callback discards its entry (a dummy slot);
# the next add remembers that slot while it calls a colliding class's
# metaclass __eq__, which runs issubclass() of a third class against the same
# ABC: that inner add (not marked busy) fills the remembered slot, and the
# outer add fills it again.  The negative cache's `used` now exceeds its
# table; freeing it (the ABC going away) walks past the small table and
# Py_DECREFs the set's weakreflist and the heap after it.
# /usr/bin/python3.11 segfaults; in-process the JVM dies in libpython.
import abc

class Base(metaclass=abc.ABCMeta):
    pass

state = {'calls': 0, 'trigger': 0, 'inner': None}

class M(type):
    def __hash__(cls):
        return 0
    def __eq__(cls, other):
        state['calls'] += 1
        if state['calls'] == state['trigger']:
            state['trigger'] = 0
            issubclass(state['inner'], Base)   # inner add to the same cache
        return cls is other

def make(name):
    return M(name, (), {})

X0 = make('X0'); X1 = make('X1')
issubclass(X0, Base); issubclass(X1, Base)     # negative cache {X0, X1}
del X0
junk = []
for i in range(30000):
    junk.append([i])   # the cyclic GC frees X0; its callback leaves a dummy
del junk
X2 = make('X2'); X3 = make('X3')
state['inner'] = X3
state['calls'] = 0
state['trigger'] = 2   # call 1: X2's lookup; call 2: X2's add
issubclass(X2, Base)
neg = abc._get_dump(Base)[2]
live = {r() for r in neg}
if X3 not in live and X2 in live and state['trigger'] == 0:
    print('ESCAPED: the inner add into the _abc negative cache was overwritten'
          ' by the outer one: set.used counts an entry its table lacks')
del Base, neg, live
junk = []
for i in range(100000):
    junk.append([i])   # frees the negative cache: past the end of its table
