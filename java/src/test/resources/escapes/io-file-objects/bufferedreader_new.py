# expect: blocked
import io
print('ESCAPED', io.BufferedReader(io.BytesIO(b'x')))
