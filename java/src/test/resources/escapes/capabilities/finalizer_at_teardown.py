# expect: blocked
# Finalizers run sandboxed code while the host closes the sandbox: the
# capabilities they touch must fail cleanly, not crash the host (a red
# team found a NULL dereference there that killed an in-process host).
class Late:
    def __del__(self):
        DATA.stat('.')
        DATA.open('plain.txt').read()
        ECHO(object())

def gen():
    try:
        yield 1
    finally:
        DATA.open('plain.txt')
        READONLY.listdir()

keep = [Late(), Late()]
g = gen()
next(g)
ECHO(Late())
