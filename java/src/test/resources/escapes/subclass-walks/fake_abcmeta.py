# expect: blocked
class ABCMeta(type):
    pass
class X(metaclass=ABCMeta):
    pass
X.__class__ = ABCMeta
subs = X.__subclasses__()
if any(s.__name__ in ('FileIO', 'BuiltinImporter') for s in subs):
    print('ESCAPED', subs)
print(type.__subclasses__(object))
