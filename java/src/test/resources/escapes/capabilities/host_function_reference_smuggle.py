# expect: blocked
# ECHO returns by value: what comes back is a copy, not the host's objects.
import types
got = ECHO(DATA, CANARY)
try:
    print('ESCAPED', got[0].open(CANARY).read())
except Exception:
    pass
