# expect: blocked
print('ESCAPED', DATA.open(CANARY).read())
