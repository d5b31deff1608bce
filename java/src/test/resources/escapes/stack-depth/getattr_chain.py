# expect: blocked
# __getattr__ recursing through the C attribute machinery.
class Deep:
    def __getattr__(self, name):
        return getattr(self, name + "x")
try:
    Deep().a
except RecursionError:
    pass
