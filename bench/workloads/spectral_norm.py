# pyperformance's spectral_norm: the spectral norm of an infinite matrix,
# by power iteration (float arithmetic, generator expressions, zip).
SIZE = 180
SMOKE = 10


def eval_a(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def eval_times_u(func, u):
    return [func((i, u)) for i in range(len(u))]


def eval_at_times_u(u):
    return eval_times_u(part_at_times_u, eval_times_u(part_a_times_u, u))


def part_a_times_u(i_u):
    i, u = i_u
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += eval_a(i, j) * u_j
    return partial_sum


def part_at_times_u(i_u):
    i, u = i_u
    partial_sum = 0
    for j, u_j in enumerate(u):
        partial_sum += eval_a(j, i) * u_j
    return partial_sum


def run(n=SIZE):
    u = [1] * n
    for _ in range(10):
        v = eval_at_times_u(u)
        u = eval_at_times_u(v)
    vbv = sum(ue * ve for ue, ve in zip(u, v))
    vv = sum(ve * ve for ve in v)
    return round((vbv / vv) ** 0.5, 9)
