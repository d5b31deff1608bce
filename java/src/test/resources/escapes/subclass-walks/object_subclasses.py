# expect: blocked
for c in ().__class__.__base__.__subclasses__():
    if c.__name__ in ('FileIO', 'BuiltinImporter', 'Popen', '_wrap_close'):
        print('ESCAPED', c)
