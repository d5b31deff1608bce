# expect: blocked
c = (lambda: 0).__code__
print('ESCAPED', type(c)(0, 0, 0, 0, 0, 0, b'', (), (), (), '', '', '', 0, b'', b'', (), ()))
