# expect: blocked
import codecs
print('ESCAPED', codecs.lookup('utf-8').encode.__globals__)
