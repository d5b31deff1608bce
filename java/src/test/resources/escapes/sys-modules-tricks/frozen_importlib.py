# expect: blocked
import _frozen_importlib
print('ESCAPED', _frozen_importlib)
