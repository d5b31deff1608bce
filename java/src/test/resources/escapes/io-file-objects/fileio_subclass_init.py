# expect: blocked
import io
class F(io.FileIO):
    def __init__(self, p):
        super().__init__(p)
print('ESCAPED', F(CANARY).read())
