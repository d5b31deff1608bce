# expect: blocked
C = type((lambda: 0).__code__)
print('ESCAPED', object.__new__(C))
