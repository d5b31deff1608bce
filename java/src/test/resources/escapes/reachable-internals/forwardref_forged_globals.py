# expect: blocked
# Red team: typing evaluates string annotations with globals it finds; a
# forged ForwardRef must only see what it is given.
import typing
ref = typing.ForwardRef('__import__("posix")')
try:
    print('ESCAPED', ref._evaluate({'__builtins__': __builtins__}, None, frozenset()))
except ImportError:
    pass
except TypeError:
    pass
def f(a: 'sys._getframe'):
    pass
try:
    print('ESCAPED', typing.get_type_hints(f, {'sys': __import__('sys')}))
except AttributeError:
    pass
