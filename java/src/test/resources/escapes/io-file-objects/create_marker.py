# expect: blocked
import io
io.FileIO(MARKER, 'w')
print('ESCAPED')
