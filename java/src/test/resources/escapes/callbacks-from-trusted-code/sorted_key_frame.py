# expect: blocked
def key(x):
    try:
        1/0
    except Exception as e:
        print('ESCAPED', e.__traceback__.tb_frame.f_back)
    return x
sorted([2, 1], key=key)
