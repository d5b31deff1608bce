# expect: blocked
# A chain of generators, each delegating to the next with yield from.
def chain(n):
    if n:
        yield from chain(n - 1)
    else:
        yield 1
try:
    list(chain(10**6))
except RecursionError:
    pass
