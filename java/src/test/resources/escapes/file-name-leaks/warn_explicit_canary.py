# expect: blocked
# warnings shows the source line of the file a warning names.
import typing
typing.warnings.warn_explicit('look', UserWarning, CANARY, 1)
print('done')
