# expect: blocked
print('ESCAPED', vars(type)['__subclasses__'](object))
