# expect: blocked
# code.replace(co_consts=()) on `lambda: 0` reads past the array.
f = lambda: 0
f.__code__ = f.__code__.replace(co_consts=())
f()
print('ESCAPED: crafted code ran')
