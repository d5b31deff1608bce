# expect: blocked
print('ESCAPED', input)
