# expect: blocked
print('ESCAPED', exit, quit)
