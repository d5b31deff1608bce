# expect: blocked
# A module an earlier sandbox of this process compiled is unmarshalled from
# objcap's code cache; finalizers of the script's garbage may run while the
# unmarshalled objects are allocated.  They run with the script's authority
# only (objcap's own marshal call is let through for its exact data, once).
import json
binary = DATA.open('plain.txt', 'rb')
text = DATA.open('plain.txt')

def attempt_all(where):
    try:
        raise Exception
    except Exception as e:
        try:
            print('ESCAPED', where, 'frame', e.__traceback__.tb_frame)
        except AttributeError:
            pass
    try:
        print('ESCAPED', where, 'globals', sorted(json.dumps.__globals__)[:3])
    except AttributeError:
        pass
    for make in (lambda: type(binary)(binary.raw), lambda: type(text)(binary)):
        try:
            print('ESCAPED', where, 'file object', make())
        except Exception:
            pass

class Cycle:
    def __init__(self, n):
        self.me = self
        self.pad = [[] for _ in range(n)]
    def __del__(self):
        attempt_all('__del__')

for name in ['fractions', 'statistics', 'decimal', 'difflib', 'textwrap',
             'pprint', 'dataclasses', 'csv', 'base64', 'hashlib', 'string',
             'random', 'bisect', 'heapq', 'contextlib', 'datetime', 'enum',
             'typing', 'copy', 'struct', 'numbers', 'reprlib', 'keyword']:
    for n in (0, 200, 400, 600):
        Cycle(n)
    __import__(name)
print('imported')
