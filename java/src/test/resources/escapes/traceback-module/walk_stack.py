# expect: blocked
# The real traceback module walks frames; the stand-in must hand out none.
import traceback
for name in ('walk_tb', 'walk_stack', 'extract_stack', 'print_stack',
             'StackSummary', 'FrameSummary', 'TracebackException'):
    if hasattr(traceback, name):
        try:
            r = getattr(traceback, name)
            if name in ('walk_stack', 'extract_stack'):
                r = list(r(None))
            print('ESCAPED: traceback.%s ->' % name, r)
        except Exception:
            pass
