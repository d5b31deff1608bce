# expect: blocked
import dataclasses
class D:
    def __init__(self):
        pass
    def __repr__(self):
        import sys
        print('ESCAPED', sys._getframe(1))
        return 'D'
@dataclasses.dataclass
class C:
    x: object = dataclasses.field(default_factory=D)
repr(C())
