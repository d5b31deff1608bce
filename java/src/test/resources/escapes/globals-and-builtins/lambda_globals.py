# expect: blocked
print('ESCAPED', (lambda: 0).__globals__)
