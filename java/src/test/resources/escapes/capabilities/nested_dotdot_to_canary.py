# expect: blocked
DATA.mkdir('sub')
sibling = CANARY.split('/')[-2]
print('ESCAPED', DATA.open('sub/../../' + sibling + '/secret.txt').read())
