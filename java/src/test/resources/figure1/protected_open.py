# The paper's Figure 1 (Cannon and Wohlstadter), a security delegate for open
# written in pure Python as a closure, with its startswith bug fixed. Run by
# the host as trusted set-up; Figure1DelegateTest.
def protected_open(open_fxn, restricted_dir,
                   path_join, path_resolver):
    # Define a closure.
    def open(path, flags='r'):
        # Construct an absolute path.
        joined_path = path_join(restricted_dir, path)
        abs_path = path_resolver(joined_path)
        # Verify the path does not violate the directory restriction
        # (the paper's startswith alone let a sibling directory pass).
        if not (abs_path == restricted_dir or
                abs_path.startswith(restricted_dir + '/')):
            msg = ('path leads outside of allowed '
                   'directory')
            raise ValueError(msg)
        # Return the file object.
        return open_fxn(abs_path, flags)
    # Return the closure.
    return open

# os.path is not importable in a sandbox: the same two functions, each
# returning an exact str whatever str subclass comes in.
def join(a, b):
    return b if b.startswith('/') else a + '/' + b

def normpath(path):
    parts = []
    for part in ''.join([path]).split('/'):
        if part == '..':
            parts = parts[:-1]
        elif part not in ('', '.'):
            parts.append(part)
    return '/' + '/'.join(parts)

# Stands in for the host's open capability: whoever holds it opens any path.
# The mark lets the test recognize it; the attack never calls what it finds.
def capability(path, flags='r'):
    return ('opened', path, flags)
capability.mark = 'the open capability'

open_delegate = protected_open(capability, '/tmp/restricted',
                               join, normpath)

# Prevent functions from being exposed through open_delegate's
# globals (the script shares this module).
del join, normpath, capability, protected_open
