# expect: blocked
# Red team: codecs error handlers can be replaced; a handler runs inside
# every encode/decode of this sandbox, and must gain nothing from it.
import json
codecs = json.codecs if hasattr(json, 'codecs') else None
import sys
_codecs = sys.modules.get('_codecs')
seen = []
def handler(exc):
    seen.append(exc)
    try:
        print('ESCAPED', exc.__traceback__.tb_frame.f_globals)
    except AttributeError:
        pass
    return ('?', exc.end)
if _codecs is not None:
    try:
        _codecs.register_error('strict', handler)  # built-in: may not take
        'é'.encode('ascii')
    except UnicodeEncodeError:
        pass
    _codecs.register_error('objcap_spy', handler)
    'é'.encode('ascii', 'objcap_spy')
print(len(seen), 'handler calls')
