# expect: blocked
class A:
    def m(self):
        pass
print('ESCAPED', A().m.__func__.__globals__)
