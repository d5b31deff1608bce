# expect: blocked
# A codec search function registered by the script runs while objcap builds
# a granted file's text layer (TextIOWrapper looks the encoding up).  It
# runs with the script's own authority: no frame, no module globals, no
# file object built from Python (the gates stay closed).
import encodings, json
codecs = encodings.codecs
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

def search(name):
    if name == 'evil_codec':
        attempt_all('search')
    return None

codecs.register(search)
try:
    DATA.open('plain.txt', encoding='evil_codec')
except LookupError as e:
    print('refused:', e)
