# expect: blocked
import dataclasses
print('ESCAPED', dataclasses.inspect.tokenize.open(CANARY).read())
