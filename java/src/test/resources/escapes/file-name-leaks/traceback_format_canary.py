# expect: blocked
import dataclasses
tb = dataclasses.inspect.linecache.getlines(CANARY)
if tb:
    print('ESCAPED', tb)
print('done')
