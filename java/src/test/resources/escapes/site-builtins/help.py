# expect: blocked
print('ESCAPED', help)
