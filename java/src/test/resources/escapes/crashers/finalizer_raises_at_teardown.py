# expect: blocked
# Finalizers that raise and import while the host closes the sandbox
# (the importer's state is being cleared then). The variant with
# capabilities, capabilities/finalizer_at_teardown.py, crashed an
# in-process host through a NULL dictionary in the importer.
class Late:
    def __del__(self):
        1 / 0

def gen():
    try:
        yield 1
    finally:
        import json
        raise ValueError('late')

keep = [Late(), Late()]
g = gen()
next(g)
