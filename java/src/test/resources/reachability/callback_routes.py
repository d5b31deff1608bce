# Runs ROUTE_BODY (a callable) from inside one of the ways Python code runs
# while objcap's C code is below it on the stack: a codec search function or
# a codec's incremental decoder while a granted file is opened, a finalizer
# or a weakref callback that the collector runs during that open.  Needs
# DATA, a granted directory holding plain.txt.  Sets ROUTE_RAN_INSIDE.
import collections
import encodings

codecs = encodings.codecs
ROUTE_RAN_INSIDE = False
_inside = [False]


def _run_once(where):
    global ROUTE_RAN_INSIDE
    if _inside[0] and not ROUTE_RAN_INSIDE:
        ROUTE_RAN_INSIDE = True
        ROUTE_BODY()


class _Decoder(codecs.IncrementalDecoder):
    def __init__(self, errors='strict'):
        _run_once('incremental decoder')
        super().__init__(errors)

    def decode(self, data, final=False):
        return bytes(data).decode('latin-1')


def _search(name):
    if name == 'route_codec_search':
        _run_once('codec search function')
    if name == 'route_codec_decoder':
        return codecs.CodecInfo(
            name=name, encode=lambda s, e='strict': (s.encode('latin-1'), len(s)),
            decode=lambda b, e='strict': (bytes(b).decode('latin-1'), len(b)),
            incrementaldecoder=_Decoder)
    return None


class _Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        _run_once('finalizer')


class _Target:
    pass


def _open(encoding):
    _inside[0] = True
    try:
        return DATA.open('plain.txt', encoding=encoding)
    except LookupError:
        return None
    finally:
        _inside[0] = False


def run_route(route):
    if route in ('codec search function', 'incremental decoder'):
        codecs.register(_search)
        _open('route_codec_search' if route == 'codec search function'
              else 'route_codec_decoder')
        return
    keep = []
    for _ in range(100000):
        if ROUTE_RAN_INSIDE:
            return
        if route == 'finalizer':
            _Cycle()
        else:
            target = _Target()
            target.me = target
            keep.append(collections._proxy(target, lambda ref: _run_once(route)))
            del target
        _open('utf-8')
