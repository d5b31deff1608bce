# expect: blocked
import io
print('ESCAPED', io.open_code(CANARY).read())
