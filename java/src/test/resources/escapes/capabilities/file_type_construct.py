# expect: blocked
# The raw file type behind a granted file: construct one on another path.
f = DATA.open('plain.txt', 'rb')
R = type(f.raw)
for attempt in (lambda: R(CANARY), lambda: R.__new__(R), lambda: object.__new__(R)):
    try:
        print('ESCAPED', attempt().read())
    except Exception:
        pass
