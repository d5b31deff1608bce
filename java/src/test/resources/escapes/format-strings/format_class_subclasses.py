# expect: blocked
# format() can name the bound method but not call it; calling it must fail.
m = '{0.__class__.__base__.__subclasses__}'.format(0)
print('ESCAPED', object.__subclasses__())
