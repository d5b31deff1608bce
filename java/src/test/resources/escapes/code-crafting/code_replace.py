# expect: blocked
print('ESCAPED', (lambda: 0).__code__.replace(co_consts=()))
