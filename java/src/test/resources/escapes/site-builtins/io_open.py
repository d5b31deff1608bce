# expect: blocked
import io
print('ESCAPED', io.open(CANARY).read())
