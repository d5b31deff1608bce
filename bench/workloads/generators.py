# pyperformance's generators: a binary tree walked in order by recursive
# generators (yield from), plus generator expressions and pipelines.
SIZE = 15
SMOKE = 6


class Tree:
    __slots__ = ('left', 'value', 'right')

    def __init__(self, left, value, right):
        self.left = left
        self.value = value
        self.right = right

    def __iter__(self):
        if self.left:
            yield from self.left
        yield self.value
        if self.right:
            yield from self.right


def tree(lo, hi):
    if lo >= hi:
        return None
    mid = (lo + hi) // 2
    return Tree(tree(lo, mid), mid, tree(mid + 1, hi))


def evens(values):
    for v in values:
        if v % 2 == 0:
            yield v


def run(depth=SIZE):
    t = tree(0, 2 ** depth)
    total = 0
    for _ in range(4):
        total += sum(evens(iter(t)))
        total += sum(x * x for x in t if x % 3 == 0)
    return total
