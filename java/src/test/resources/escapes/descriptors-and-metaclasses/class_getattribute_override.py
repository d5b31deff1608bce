# expect: blocked
class M(type):
    def __getattribute__(cls, n):
        return type.__getattribute__(cls, n)
class A(metaclass=M):
    pass
print('ESCAPED', A.__subclasses__())
