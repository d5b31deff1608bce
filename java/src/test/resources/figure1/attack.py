# The untrusted script: every way it knows to get the delegate's capability
# or to open outside /tmp/restricted. Prints ESCAPED when one works.
import types

def is_capability(obj):
    # The test's judge: the stand-in capability carries a mark (calling
    # whatever turns up could run exit() or input()).
    return getattr(obj, 'mark', None) == 'the open capability'

def try_cells(cells, how):
    for cell in cells or ():
        try:
            if is_capability(cell.cell_contents):
                print('ESCAPED', how)
        except AttributeError:
            pass

# 1. Paths out of the directory, the paper's sibling bug included.
for path in ('../restricted_evil/x', '/tmp/restricted_evil/x',
             '../../etc/passwd', '/etc/passwd', '..', 'a/../../x'):
    try:
        print('ESCAPED path', path, open_delegate(path))
    except ValueError:
        pass

# 2. The closure, directly and through the member descriptor.
try:
    try_cells(open_delegate.__closure__, 'via __closure__')
except AttributeError:
    pass
try:
    d = type(open_delegate).__dict__['__closure__']
    try_cells(d.__get__(open_delegate), 'via the descriptor')
except (AttributeError, KeyError):
    pass

# 3. Globals.
for name in ('__globals__', '__builtins__'):
    try:
        for value in list(getattr(open_delegate, name).values()):
            if is_capability(value):
                print('ESCAPED via', name)
    except AttributeError:
        pass

# 4. The delegate's frame, from code it calls back (a str subclass
#    whose methods run inside path_join): frame -> f_back -> f_locals.
class Evil(str):
    def startswith(self, *args):
        try:
            raise RuntimeError
        except RuntimeError as e:
            try:
                frame = e.__traceback__.tb_frame
                while frame is not None:
                    for value in list(frame.f_locals.values()):
                        if is_capability(value):
                            print('ESCAPED through a frame')
                    frame = frame.f_back
            except AttributeError:
                pass
        return False
try:
    open_delegate(Evil('x'))
except ValueError:
    pass

# 5. Pickling and copying hand out the same function, not its state.
import copy
for dup in (copy.copy(open_delegate), copy.deepcopy(open_delegate)):
    if dup is not open_delegate:
        print('ESCAPED a copy', dup)
try:
    for part in open_delegate.__reduce_ex__(2):
        if is_capability(part):
            print('ESCAPED via __reduce_ex__')
except TypeError:
    pass

# 6. A twin with the same free variables whose code returns them: as a
#    new function over the delegate's cells, or swapped in as its
#    __code__ (last: it would change the delegate). The twin's code
#    comes from compile()'s constants, not from a __code__ read.
twin = compile('''
def twin():
    open_fxn = restricted_dir = path_join = path_resolver = None
    def open(path, flags='r'):
        return (open_fxn, restricted_dir, path_join, path_resolver)
    return open
''', 'twin', 'exec')
codes = [c for c in twin.co_consts if isinstance(c, type(twin))]
code = [c for c in codes[0].co_consts if isinstance(c, type(twin))][0]
assert code.co_freevars == ('open_fxn', 'path_join', 'path_resolver',
                            'restricted_dir'), code.co_freevars
try:
    f = types.FunctionType(code, {}, 'f', ('r',),
                           open_delegate.__closure__)
    if any(is_capability(value) for value in f('x')):
        print('ESCAPED with a new function over its cells')
except (AttributeError, TypeError):
    pass
try:
    open_delegate.__code__ = code
    if any(is_capability(value) for value in open_delegate('x')):
        print('ESCAPED by swapping __code__')
except (AttributeError, PermissionError):
    pass
print('done')
