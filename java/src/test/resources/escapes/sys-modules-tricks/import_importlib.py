# expect: blocked
import importlib
print('ESCAPED', importlib)
