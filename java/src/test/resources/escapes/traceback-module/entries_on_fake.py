# expect: blocked
# The C helper behind the stand-in takes only real tracebacks.
import traceback
class Fake:
    tb_next = None
    tb_frame = None
try:
    traceback.extract_tb(Fake())
    print('ESCAPED: accepted a fake traceback')
except TypeError:
    pass
