# expect: blocked
exec(compile('1/0', CANARY, 'exec'))
