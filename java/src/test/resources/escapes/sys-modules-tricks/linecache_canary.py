# expect: blocked
import dataclasses
line = dataclasses.inspect.linecache.getline(CANARY, 1)
print('ESCAPED' if line else 'no line', line)
