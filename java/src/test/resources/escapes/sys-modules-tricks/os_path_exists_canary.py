# expect: blocked
import dataclasses
if dataclasses.inspect.os.path.exists(CANARY):
    print('ESCAPED: the canary file is visible')
