# expect: blocked
# (Found by review.) A stdlib module's import statement calls the
# builtins' __import__, which the script may replace.  The replacement's
# __call__ is a property whose getter is a functools.partial (C): it calls
# the real __import__ for a support-only module of the script's choosing,
# with the stdlib module's globals, while the innermost Python frame is
# still the stdlib module's at its IMPORT_NAME.  The request must match
# that statement (name, level, fromlist) to count as the module's.
import sys, functools
real = __import__
wanted = ['inspect', 'ast', 'warnings', 'dis', 'tokenize', 'os']
got = {}

def run_under_statement(name):
    class Inject:
        __call__ = property(functools.partial(real, name, vars(functools)))
    def restore(self):
        __builtins__.__import__ = real
        return Inject()
    class Hook:
        __call__ = property(restore)
    __builtins__.__import__ = Hook()
    try:
        functools.singledispatch(lambda x: x)  # its lazy `import types, weakref`
    except (TypeError, ImportError):
        pass
    finally:
        __builtins__.__import__ = real

for name in wanted:
    run_under_statement(name)
    module = sys.modules.get(name)
    if module is not None and name not in ('os',):
        print('ESCAPED', name, module)
print('done')
