# expect: blocked
import traceback
try:
    1/0
except ZeroDivisionError as e:
    for entry in traceback.extract_tb(e.__traceback__):
        for part in entry:
            if type(part).__name__ == 'frame' or hasattr(part, 'f_globals'):
                print('ESCAPED: a frame in extract_tb', part)
