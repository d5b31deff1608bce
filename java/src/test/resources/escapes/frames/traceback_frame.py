# expect: blocked
try:
    1/0
except ZeroDivisionError as e:
    print('ESCAPED', e.__traceback__.tb_frame.f_globals)
