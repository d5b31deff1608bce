# expect: blocked
import json
def default(o):
    try:
        1/0
    except Exception as e:
        print('ESCAPED', e.__traceback__.tb_frame.f_back.f_globals)
    return 0
json.dumps(object(), default=default)
