# expect: blocked
# Support-only modules (inspect, ast, ...) are importable by the modules
# objcap loaded, never by the script.  The requester is not taken from the
# globals the caller passes: a standard-library module's dict, or a call
# made through a standard-library frame, gets the script's rules.
import functools, heapq, json
tries = {
    '__import__ with json globals': lambda: __import__('inspect', vars(json)),
    '__import__ with fromlist': lambda: __import__('inspect', json.__dict__, None, ['signature']),
    'relative import from json': lambda: __import__('decoder', vars(json), None, ['scanner'], 1) and __import__('ast', vars(json)),
    'through a stdlib frame': lambda: heapq.nsmallest(
        1, ['inspect'], key=functools.partial(__import__, globals=vars(heapq))),
}
for what, attempt in tries.items():
    try:
        print('ESCAPED', what, attempt())
    except ImportError as e:
        print('refused:', what)
for what, src in {'exec in json globals': 'import inspect',
                  'exec a from-import': 'from ast import literal_eval as inspect'}.items():
    try:
        exec(src, vars(json))
    except ImportError:
        print('refused:', what)
    if 'inspect' in vars(json):
        print('ESCAPED', what, json.inspect)
