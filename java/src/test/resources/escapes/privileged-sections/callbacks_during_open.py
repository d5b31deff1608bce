# expect: blocked
# Python that the script controls runs while objcap's C code builds a
# granted file (directory.c): a codec search function registered by the
# script, the codec objects it returns (_is_text_encoding as a property, the
# incremental decoder's and encoder's constructors), and the finalizers and
# weakref callbacks of the script's garbage, which the collector runs inside
# that C code.  Each must run with the script's own authority: no frame, no
# module globals, no file object built from Python (the gates stay closed).
# It printed ESCAPED for each route while objcap held a thread-wide trust.
import collections, encodings, json
codecs = encodings.codecs
proxy = collections._proxy  # weakref.proxy, which the script may not import
binary = DATA.open('plain.txt', 'rb')
text = DATA.open('plain.txt')
ran = set()
inside_open = [False]
ran_inside_open = collections.Counter()

def attempt_all(where):
    ran.add(where)
    if inside_open[0]:
        ran_inside_open[where] += 1
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

# Route 1 and 2: the codec machinery.
class Decoder(codecs.IncrementalDecoder):
    def __init__(self, errors='strict'):
        attempt_all('incrementaldecoder')
        super().__init__(errors)
    def decode(self, data, final=False):
        return bytes(data).decode('latin-1')

class Encoder(codecs.IncrementalEncoder):
    def __init__(self, errors='strict'):
        attempt_all('incrementalencoder')
        super().__init__(errors)
    def encode(self, text, final=False):
        return text.encode('latin-1')

class Info(codecs.CodecInfo):
    @property
    def _is_text_encoding(self):
        attempt_all('_is_text_encoding')
        return True

def search(name):
    if name == 'unknown_codec':
        attempt_all('search function')
    if name == 'evil_codec':
        return Info(name='evil_codec',
                    encode=lambda s, e='strict': (s.encode('latin-1'), len(s)),
                    decode=lambda b, e='strict': (bytes(b).decode('latin-1'), len(b)),
                    incrementaldecoder=Decoder, incrementalencoder=Encoder)
    return None

codecs.register(search)
try:
    DATA.open('plain.txt', encoding='unknown_codec')
except LookupError as e:
    print('refused:', e)
DATA.open('plain.txt', encoding='evil_codec').read()
DATA.open('written.txt', 'w', encoding='evil_codec').write('x')

# Route 3 and 4: the collector, inside the open.
class Cycle:
    def __init__(self):
        self.me = self
    def __del__(self):
        attempt_all('__del__')

class Target:
    pass

keep = []
for i in range(20000):  # 3.14 collects later than 3.11 (its count falls as objects die)
    Cycle()
    t = Target()
    t.me = t
    keep.append(proxy(t, lambda r: attempt_all('weakref callback')))
    del t
    inside_open[0] = True
    f = DATA.open('plain.txt', encoding='utf-8')
    inside_open[0] = False
    f.close()
print('callbacks ran:', sorted(ran))
print('ran inside open:', sorted(k for k in ran_inside_open))
