# expect: blocked
import builtins
old = builtins.len
def spy(x):
    try:
        print('ESCAPED', (lambda: 0).__globals__)
    except AttributeError:
        pass
    return old(x)
builtins.len = spy
import statistics
builtins.len = old
print('ok')
