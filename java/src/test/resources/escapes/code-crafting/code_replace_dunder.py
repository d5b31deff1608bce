# expect: blocked
c = (lambda: 0).__code__
print('ESCAPED', c.__replace__(co_consts=()))
