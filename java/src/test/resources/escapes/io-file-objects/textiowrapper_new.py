# expect: blocked
import io
print('ESCAPED', io.TextIOWrapper(io.BytesIO(b'x')))
