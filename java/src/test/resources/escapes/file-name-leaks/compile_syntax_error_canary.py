# expect: blocked
compile('1 +\n', CANARY, 'exec')
