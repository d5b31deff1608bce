# expect: blocked
# Move the canary into the grant, then read it there.
sibling = CANARY.split('/')[-2]
DATA.rename('../' + sibling + '/secret.txt', 'stolen.txt')
print('ESCAPED', DATA.open('stolen.txt').read())
