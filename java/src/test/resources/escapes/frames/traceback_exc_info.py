# expect: blocked
import sys
try:
    1/0
except Exception:
    tb = sys.exc_info()[2]
    print('ESCAPED', tb.tb_frame)
