# expect: blocked
import io
class F(io.FileIO):
    pass
print('ESCAPED', F(CANARY).read())
