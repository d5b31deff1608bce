# expect: blocked
import sys
raw = sys.stdout.buffer.raw
print('ESCAPED', type(raw).__init__(raw, CANARY))
