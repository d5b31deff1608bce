# expect: blocked
# Rebuild a directory object through the pickling protocol, pointing elsewhere.
import copyreg
for proto in (0, 1, 2, 4):
    try:
        r = object.__reduce_ex__(DATA, proto)
        f, args = r[0], r[1]
        clone = f(*args)
        print('ESCAPED', clone)
    except Exception:
        pass
try:
    clone = copyreg._reconstructor(type(DATA), object, None)
    print('ESCAPED', clone)
except Exception:
    pass
