# expect: blocked
print('ESCAPED', int.__mro__[-1].__subclasses__())
