# expect: blocked
import dataclasses
f = dataclasses.inspect.currentframe()
if f is not None:
    print('ESCAPED', f.f_globals)
print(f)
