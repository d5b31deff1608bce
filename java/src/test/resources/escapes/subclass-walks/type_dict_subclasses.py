# expect: blocked
print('ESCAPED', type.__dict__['__subclasses__'](object))
