# expect: blocked
import sys
class Fake:
    register = staticmethod(lambda *a: print('ESCAPED: fake atexit used'))
sys.modules['atexit'] = Fake()
try:
    import atexit
    print('ESCAPED: imported', atexit)
except ImportError:
    pass
