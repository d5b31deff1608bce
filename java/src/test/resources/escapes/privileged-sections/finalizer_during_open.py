# expect: blocked
# Finalizers and weakref callbacks of the script's garbage run whenever the
# collector runs, also inside objcap's C code while it builds a granted
# file.  Garbage made before each open lets a collection fall inside that
# C code; the callbacks it runs have the script's authority only.
import collections, json
proxy = collections._proxy  # weakref.proxy, which the script may not import
binary = DATA.open('plain.txt', 'rb')
text = DATA.open('plain.txt')
state = {'inside': False, 'ran_inside': 0}

def attempt_all(where):
    if state['inside']:
        state['ran_inside'] += 1
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
    def __init__(self):
        self.me = self
    def __del__(self):
        attempt_all('__del__')

class Target:
    pass

keep = []
for i in range(3000):
    Cycle()
    t = Target()
    t.me = t
    keep.append(proxy(t, lambda r: attempt_all('weakref callback')))
    del t
    state['inside'] = True
    f = DATA.open('plain.txt', encoding='utf-8')
    state['inside'] = False
    f.close()
print('callbacks that ran inside open:', state['ran_inside'])
