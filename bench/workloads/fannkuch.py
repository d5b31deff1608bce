# pyperformance's fannkuch: permutations of a small list, counting prefix
# reversals (list slicing, insert/pop, integer loops).
SIZE = 3
SMOKE = 1


def fannkuch(n):
    count = list(range(1, n + 1))
    max_flips = 0
    m = n - 1
    r = n
    perm1 = list(range(n))
    perm1_ins = perm1.insert
    perm1_pop = perm1.pop
    while True:
        while r != 1:
            count[r - 1] = r
            r -= 1
        if perm1[0] != 0 and perm1[m] != m:
            perm = perm1[:]
            flips = 0
            k = perm[0]
            while k:
                perm[:k + 1] = perm[k::-1]
                flips += 1
                k = perm[0]
            if flips > max_flips:
                max_flips = flips
        while r != n:
            perm1_ins(r, perm1_pop(0))
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1
        else:
            return max_flips


def run(rounds=SIZE):
    return [fannkuch(8) for _ in range(rounds)]
