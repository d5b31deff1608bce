# expect: blocked
# The parser fills SyntaxError.text from the named file when it can read it.
try:
    compile('1 +\n', CANARY, 'exec')
except SyntaxError as e:
    if e.text and 'CANARY-SECRET' in e.text:
        print('ESCAPED', e.text)
    print(repr(e.text))
