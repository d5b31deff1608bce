# expect: blocked
print('ESCAPED', BaseException.__subclasses__())
