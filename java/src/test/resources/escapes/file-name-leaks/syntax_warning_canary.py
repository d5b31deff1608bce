# expect: blocked
compile('assert (1, 2)', CANARY, 'exec')
print('done')
