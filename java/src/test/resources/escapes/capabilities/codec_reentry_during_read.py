# expect: blocked
# A codec that re-enters the file object from inside its own read (close,
# detach, reconfigure, read, seek, raw read): no crash, no use-after-free.
import encodings
codecs = encodings.codecs
state = {}
class Dec(codecs.IncrementalDecoder):
    def decode(self, input, final=False):
        act = state.get('act')
        f = state.get('f')
        if act and f is not None:
            state['act'] = None
            print("reenter:", act)
            try:
                if act == 'rawclose': f.buffer.raw.close()
                elif act == 'close': f.close()
                elif act == 'detach': f.detach()
                elif act == 'reconf': f.reconfigure(encoding='latin-1')
                elif act == 'read': print("inner read", repr(f.read()))
                elif act == 'bufread': print("inner bufread", f.buffer.read())
                elif act == 'seek': f.seek(0)
                elif act == 'rawread': print(f.buffer.raw.read())
            except BaseException as e:
                print("  inner exc", type(e).__name__, e)
        return bytes(input).decode('latin-1')
    def getstate(self): return (b'', 0)
    def setstate(self, s): pass
def search(name):
    if name == 'evil':
        return codecs.CodecInfo(name='evil', encode=lambda s, e='strict': (s.encode('latin-1'), len(s)),
                                decode=lambda b, e='strict': (bytes(b).decode('latin-1'), len(b)),
                                incrementaldecoder=Dec)
codecs.register(search)
for act in ['rawclose', 'close', 'detach', 'reconf', 'read', 'bufread', 'seek', 'rawread']:
    f = DATA.open('plain.txt', 'r', encoding='evil')
    state['f'] = f; state['act'] = act
    try:
        print(act, '->', repr(f.read()))
        print(act, 'tell ->', f.tell())
    except BaseException as e:
        print(act, 'outer exc', type(e).__name__, e)
