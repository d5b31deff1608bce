# expect: blocked
# The canary's directory is a sibling of DATA: walk up and over.
sibling = CANARY.split('/')[-2]
print('ESCAPED', DATA.open('../' + sibling + '/secret.txt').read())
