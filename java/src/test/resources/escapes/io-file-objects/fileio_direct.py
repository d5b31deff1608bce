# expect: blocked
import io
print('ESCAPED', io.FileIO(CANARY).read())
