# expect: blocked
import typing
w = typing.warnings
w.showwarning('look', UserWarning, CANARY, 1)
print(w.formatwarning('look', UserWarning, CANARY, 1))
