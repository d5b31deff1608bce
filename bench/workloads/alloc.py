# Allocation-heavy: lists, dicts, strings and bytes made and dropped, large
# buffers (the raw allocator) and many small objects (pymalloc's arenas):
# the paths that per-sandbox memory accounting wraps.
SIZE = 400
SMOKE = 2


def run(rounds=SIZE):
    total = 0
    for i in range(rounds):
        rows = [{'id': k, 'name': 'n%d' % k, 'tags': [k, k + 1]}
                for k in range(500)]
        total += len(rows)
        blob = bytearray(200000)
        total += len(blob)
        text = ''.join(str(k) for k in range(2000))
        total += len(text)
        del rows, blob, text
    return total
