# expect: blocked
# Python -> sorted (a C frame with a 2 KiB buffer) -> Python, each level;
# a review used it to line frames up with the large stack's marker words.
def k(n):
    return sorted([n - 1], key=k)[0] if n else 0
try:
    k(10**6)
except RecursionError:
    pass
