# expect: blocked
import zipimport
print('ESCAPED', zipimport)
