# expect: blocked
# modes: process
x = [1]
for i in range(1000000):
    x = filter(None, x)
next(x)
