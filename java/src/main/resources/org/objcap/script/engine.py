# The JSR-223 engine's helpers (org.objcap.script), run in each sandbox the
# engine makes before any script. They are ordinary sandboxed code with no
# more authority than a script: a script can find them in globals() and
# replace them, which only changes what the host is told about that script's
# own namespace. They are closures over builtins taken now, so that a script
# that names a global `compile` or `exec` does not change how scripts run.


def __objcap_install__():
    _compile, _exec, _eval, _type, _getattr, _callable, _isinstance = (
        compile, exec, eval, type, getattr, callable, isinstance)
    g = globals()
    builtins = vars(__builtins__)
    only_ast = 0x400  # PyCF_ONLY_AST
    expr_statement = _type(_compile('0', '', 'exec', only_ast, True).body[0])
    expression = _type(_compile('0', '', 'eval', only_ast, True))
    # GLOBAL_SCOPE names live in builtins, below the script's globals; they
    # never replace a real builtin.
    real_builtins = frozenset(builtins)
    from_global_scope = set()

    class Compiled:
        __slots__ = ('body', 'last')

        def __init__(self, body, last):
            self.body = body
            self.last = last

    class ObjcapNoSuchMethod(Exception):
        __qualname__ = 'ObjcapNoSuchMethod'  # the name the host looks for

    def compile_script(source, filename):
        # The parser's SyntaxError names the file, line and column.
        tree = _compile(source, filename, 'exec', only_ast, True)
        last = None
        if tree.body and _type(tree.body[-1]) is expr_statement:
            # The last expression statement, compiled on its own, keeps its
            # line numbers: its value is what eval returns.
            last = _compile(expression(tree.body.pop().value), filename, 'eval', 0, True)
        return Compiled(_compile(tree, filename, 'exec', 0, True), last)

    def run(compiled, stdin):
        if stdin is not None:
            import io
            import sys
            sys.stdin = io.StringIO(stdin)
        _exec(compiled.body, g)
        return None if compiled.last is None else _eval(compiled.last, g)

    def eval_script(source, filename, stdin):
        return run(compile_script(source, filename), stdin)

    def names():
        return [k for k in g if not (_isinstance(k, str) and k[:2] == '__' == k[-2:])]

    def delete(name):
        g.pop(name, None)

    def has(name):
        return name in g

    def set_global_scope(values):
        for name in from_global_scope - values.keys():
            builtins.pop(name, None)
        from_global_scope.clear()
        for name, value in values.items():
            if name not in real_builtins:
                builtins[name] = value
                from_global_scope.add(name)

    def method(target, name):
        found = g.get(name) if target is None else _getattr(target, name, None)
        if not _callable(found):
            raise ObjcapNoSuchMethod(name)
        return found

    def invoke(target, name, args):
        return method(target, name)(*args)

    def implements(target, names):
        return all(_callable(g.get(n) if target is None else _getattr(target, n, None))
                   for n in names)

    g.update(__objcap_compile__=compile_script, __objcap_run__=run,
             __objcap_eval__=eval_script, __objcap_names__=names,
             __objcap_delete__=delete, __objcap_has__=has,
             __objcap_global_scope__=set_global_scope, __objcap_invoke__=invoke,
             __objcap_implements__=implements)


__objcap_install__()
del __objcap_install__
