# pyperformance's json_dumps: json.dumps of nested dicts, lists, strings and
# numbers (the C encoder plus Python-level defaults).
import json

SIZE = 25
SMOKE = 1

EMPTY = ({}, 2000)
SIMPLE_DATA = {'key1': 0, 'key2': True, 'key3': 'value', 'key4': 'foo',
               'key5': 'string'}
SIMPLE = (SIMPLE_DATA, 1000)
NESTED_DATA = {'key1': 0, 'key2': SIMPLE[0], 'key3': 'value', 'key4': SIMPLE[0],
               'key5': SIMPLE[0], 'key': '\u0105\u0107\u017c'}
NESTED = (NESTED_DATA, 1000)
HUGE = ([NESTED[0]] * 1000, 1)
CASES = [EMPTY, SIMPLE, NESTED, HUGE]


def run(n=SIZE):
    total = 0
    for _ in range(n):
        for obj, count in CASES:
            for _ in range(count // 100 or 1):
                total += len(json.dumps(obj))
    return total
