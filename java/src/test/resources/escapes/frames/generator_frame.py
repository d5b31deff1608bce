# expect: blocked
def g():
    yield 1
print('ESCAPED', g().gi_frame.f_back)
