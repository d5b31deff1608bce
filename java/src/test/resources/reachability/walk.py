# Reachability audit: walks the object graph from everything a sandboxed
# script can name, from inside the sandbox, so it sees exactly what an
# attacker sees.  Sets FINDINGS (paths to forbidden objects) and VISITED.
# The walk only reads attributes and container items; it calls nothing but
# a few common constructors of roots.
import json, re, math, cmath, collections, collections.abc, itertools, functools
import operator, datetime, decimal, fractions, random, statistics, string
import textwrap, dataclasses, enum, typing, heapq, bisect, copy, pprint, base64
import hashlib, struct, io, csv, difflib, unicodedata, zlib, binascii, array
import contextlib, abc, numbers, time, types, keyword, reprlib, sys, builtins

MAX_DEPTH = int(globals().get('WALK_DEPTH', 6))
MAX_OBJECTS = int(globals().get('WALK_LIMIT', 2000000))

FORBIDDEN_MODULES = {'posix', 'nt', '_imp', 'marshal', 'gc', '_posixsubprocess',
                     '_ctypes', 'ctypes', '_frozen_importlib',
                     '_frozen_importlib_external', 'zipimport', '_signal',
                     '_socket', '_xxsubinterpreters', 'importlib._bootstrap',
                     'importlib._bootstrap_external', 'mmap', 'fcntl',
                     'resource', '_io', 'subprocess', 'os.real'}
FORBIDDEN_CLASSES = {'BuiltinImporter', 'FrozenImporter', 'SourceFileLoader',
                     'SourcelessFileLoader', 'ExtensionFileLoader',
                     'FileFinder', 'PathFinder', 'zipimporter',
                     'SourceLoader', 'FileLoader'}


class Readable:
    """Marks a function attribute that should not have been readable."""
    def __init__(self, name):
        self.name = name


def forbidden(obj):
    """Why obj is forbidden, or None."""
    if isinstance(obj, Readable):
        return 'readable ' + obj.name
    t = type(obj)
    tname = getattr(t, '__name__', '')
    if tname in ('frame', 'cell'):
        return tname
    if isinstance(obj, types.ModuleType):
        name = getattr(obj, '__name__', None)
        if name in FORBIDDEN_MODULES:
            return 'module ' + name
        if name == 'sys' and any(hasattr(obj, a) for a in
                                 ('_getframe', 'settrace', 'addaudithook', 'path')):
            return 'the real sys'
        if name in ('os', 'posix') and any(hasattr(obj, a) for a in
                                           ('system', 'fork', 'execv', 'open')):
            if getattr(obj, 'open', None) is not getattr(obj, 'stat', 0):
                return 'the real os'
        if name == '_thread' and hasattr(obj, 'start_new_thread'):
            return 'the real _thread'
        if name == 'time' and hasattr(obj, 'clock_settime'):
            return 'the real time'
        if name == 'io' and hasattr(obj, 'open_code'):
            return 'the real io'
        if name in ('codecs', 'encodings') and hasattr(obj, 'sys'):
            if getattr(obj.sys, '_getframe', None) is not None:
                return 'a start-up module holding the real sys'
    if isinstance(obj, type) and tname in FORBIDDEN_CLASSES:
        return 'importer class ' + tname
    if tname in ('builtin_function_or_method',):
        owner = getattr(obj, '__self__', None)
        if isinstance(owner, types.ModuleType) and \
                getattr(owner, '__name__', '') in FORBIDDEN_MODULES | {'sys', 'time'}:
            return 'a function of ' + owner.__name__
    return None


def roots():
    r = {'builtins': builtins, 'globals': dict(globals())}
    for name, mod in list(sys.modules.items()):
        r['sys.modules[%r]' % name] = mod
    samples = {
        "codecs_lookup": ''.encode.__self__,
        "reduce_ex": object().__reduce_ex__(2),
        "print_self": print.__self__,
        "json_decoder": json.JSONDecoder(),
        "random_inst": random.Random(1),
        "decimal_ctx": decimal.getcontext(),
        "stringio": io.StringIO('x'),
        "bytesio": io.BytesIO(b'x'),
        "re_pattern": re.compile('a+'),
        "re_match": re.match('a', 'a'),
        "gen": (x for x in [1]),
        "dataclass_field": dataclasses.field(),
        "partial": functools.partial(len),
        "namedtuple": collections.namedtuple('T', 'a')(1),
        "enum": enum.Enum('E', 'A'),
        "typing": typing.List[int],
        "datetime": datetime.datetime(2020, 1, 1),
        "hash": hashlib.sha256(),
        "stdout": sys.stdout,
    }
    try:
        import codecs
        samples['codecs_lookup'] = codecs.lookup('utf-8')
    except ImportError:
        samples['utf8_encoder'] = 'x'.encode
    try:
        1 / 0
    except ZeroDivisionError as e:
        samples['exception'] = e
        samples['traceback'] = e.__traceback__
    for t in (object, type, int, str, bytes, list, dict, tuple, set, frozenset,
              BaseException, types.FunctionType, types.CodeType,
              types.ModuleType, types.SimpleNamespace, property, staticmethod):
        samples['type ' + t.__name__] = t
    r.update(samples)
    return r


SKIP_ATTRS = {'__subclasses__', '__globals__', '__builtins__', '__closure__',
              'tb_frame', 'gi_frame', 'cr_frame', 'ag_frame', 'f_back',
              'f_globals', 'f_locals', 'f_builtins'}


CALLABLE_WRAPPERS = (types.BuiltinFunctionType, types.MethodType,
                     types.MethodWrapperType)


def key_of(obj):
    """Identity for the walk: bound methods are new objects on every read,
    so they count as (their type, their __self__, their name)."""
    if isinstance(obj, CALLABLE_WRAPPERS):
        return (type(obj), id(getattr(obj, '__self__', None)),
                getattr(obj, '__name__', None))
    return id(obj)


def children(obj):
    """(label, child) pairs reachable by reading, not calling."""
    out = []
    if isinstance(obj, CALLABLE_WRAPPERS):
        for name in ('__self__', '__func__'):
            try:
                out.append(('.' + name, getattr(obj, name)))
            except AttributeError:
                pass
        return out
    if isinstance(obj, dict):
        for k, v in list(obj.items())[:2000]:
            out.append(('[%r]' % (k,), v))
            out.append(('<key %r>' % (k,), k))
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for i, v in enumerate(list(obj)[:2000]):
            out.append(('[%d]' % i, v))
    try:
        names = dir(obj)
    except Exception:
        names = []
    for name in names:
        if name in SKIP_ATTRS and isinstance(obj, types.FunctionType):
            # Reading these must fail; a success is itself a finding.
            try:
                value = getattr(obj, name)
            except AttributeError:
                continue
            if value is not None:
                out.append(('.' + name, Readable(name)))
            continue
        try:
            value = getattr(obj, name)
        except BaseException:
            continue
        out.append(('.' + name, value))
    d = getattr(obj, '__dict__', None)
    if isinstance(d, (dict, types.MappingProxyType)):
        out.append(('.__dict__', dict(d)))
    return out


FINDINGS = []
VISITED = 0


def walk():
    global VISITED
    seen = set()
    frontier = [(name, obj) for name, obj in roots().items()]
    for depth in range(MAX_DEPTH + 1):
        following = []
        for path, obj in frontier:
            key = key_of(obj)
            if key in seen:
                continue
            seen.add(key)
            keep.append(obj)
            VISITED += 1
            why = forbidden(obj)
            if why:
                FINDINGS.append('%s: %s' % (path, why))
                continue
            if depth == MAX_DEPTH:
                continue
            if VISITED > MAX_OBJECTS:
                FINDINGS.append('walk stopped at %d objects' % VISITED)
                return
            if isinstance(obj, (str, bytes, int, float, complex, bool)) or obj is None:
                continue
            for label, child in children(obj):
                following.append((path + label, child))
        frontier = following


keep = []  # keeps visited objects alive so ids stay unique
walk()
keep = None
RESULT = {'visited': VISITED, 'findings': FINDINGS[:200]}
