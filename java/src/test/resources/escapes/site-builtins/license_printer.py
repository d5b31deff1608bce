# expect: blocked
print('ESCAPED', license)
