# expect: blocked
# A granted file must not hand out its descriptor for another open.
import io
f = DATA.open('plain.txt', 'rb')
try:
    fd = f.fileno()
    print('ESCAPED', io.FileIO(fd).read())
except Exception:
    pass
try:
    fd = f.raw.fileno()
    print('ESCAPED', open(fd).read())
except Exception:
    pass
