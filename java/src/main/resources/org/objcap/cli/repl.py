# The helper of `objcap repl`, run in its sandbox before any input. It has
# no more authority than the input: the user may find it in globals(). It
# compiles as Python's interactive console does (codeop), in 'single' mode,
# so sys.displayhook prints each expression's repr and sets _.


def __objcap_install__():
    _compile, _exec = compile, exec
    g = globals()
    flags = 0x200 | 0x4000  # PyCF_DONT_IMPLY_DEDENT | PyCF_ALLOW_INCOMPLETE_INPUT

    def compile_command(source):
        # codeop._maybe_compile: None means "more lines, please".
        for line in source.split('\n'):
            line = line.strip()
            if line and line[0] != '#':
                break
        else:
            source = 'pass'  # only blank lines and comments
        try:
            _compile(source, '<stdin>', 'single', flags, True)
        except SyntaxError:
            try:
                _compile(source + '\n', '<stdin>', 'single', flags, True)
                return None
            except SyntaxError as e:
                if 'incomplete input' in str(e):
                    return None
        return _compile(source, '<stdin>', 'single', flags, True)

    def push(source):
        code = compile_command(source)
        if code is None:
            return False
        _exec(code, g)
        return True

    g['__objcap_push__'] = push


__objcap_install__()
del __objcap_install__
