# expect: blocked
import pickle
print('ESCAPED', pickle.loads(b'cposix\nsystem\n(S"true"\ntR.'))
