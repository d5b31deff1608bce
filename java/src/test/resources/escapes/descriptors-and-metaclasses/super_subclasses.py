# expect: blocked
print('ESCAPED', super(type, type).__subclasses__(object))
