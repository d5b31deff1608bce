# expect: blocked
print('ESCAPED', open(CANARY).read())
