# expect: blocked
# The type's methods take only a granted object: no path to smuggle in.
T = type(DATA)
for attempt in (lambda: T.open(CANARY),
                lambda: T.open(DATA, CANARY),
                lambda: T.listdir(READONLY, '/'),
                lambda: T.__new__(T)):
    try:
        print('ESCAPED', attempt() if not hasattr(attempt(), 'read') else attempt().read())
    except Exception:
        pass
