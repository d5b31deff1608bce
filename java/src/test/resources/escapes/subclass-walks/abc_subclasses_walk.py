# expect: blocked
import collections.abc
seen = []
def walk(c):
    for s in c.__subclasses__():
        seen.append(s)
        walk(s)
walk(collections.abc.Mapping)
for s in seen:
    if s.__name__ in ('_Environ',):
        print('ESCAPED', s)
print(type.__subclasses__(object))
