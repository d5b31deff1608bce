# expect: blocked
# The codec objects a search function returns are called while objcap
# builds the text layer: _is_text_encoding (a property here), the
# incremental decoder's and encoder's constructors.  Each runs with the
# script's authority only.
import encodings, json
codecs = encodings.codecs
binary = DATA.open('plain.txt', 'rb')
text = DATA.open('plain.txt')
seen = []

def attempt_all(where):
    seen.append(where)
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
    if name == 'evil_codec':
        return Info(name='evil_codec',
                    encode=lambda s, e='strict': (s.encode('latin-1'), len(s)),
                    decode=lambda b, e='strict': (bytes(b).decode('latin-1'), len(b)),
                    incrementaldecoder=Decoder, incrementalencoder=Encoder)
    return None

codecs.register(search)
DATA.open('plain.txt', encoding='evil_codec').read()
DATA.open('written.txt', 'w', encoding='evil_codec').write('x')
print('callbacks ran:', sorted(set(seen)))
