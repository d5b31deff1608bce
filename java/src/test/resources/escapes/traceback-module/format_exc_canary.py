# expect: blocked
# format_exc must not read lines of a file the code only names.
import traceback
try:
    exec(compile('\n' * 0 + '1/0', CANARY, 'exec'))
except ZeroDivisionError:
    text = traceback.format_exc()
    print(text)
