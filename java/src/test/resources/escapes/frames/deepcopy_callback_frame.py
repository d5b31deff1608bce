# expect: blocked
import copy
class X:
    def __deepcopy__(self, memo):
        try:
            1/0
        except ZeroDivisionError as e:
            print('ESCAPED', e.__traceback__.tb_frame.f_back.f_globals)
        return X()
copy.deepcopy(X())
