# expect: blocked
print('ESCAPED', type.__subclasses__(object))
