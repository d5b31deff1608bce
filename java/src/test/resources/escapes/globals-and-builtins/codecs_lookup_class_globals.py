# expect: blocked
import json
info = ''.encode.__self__
print('ESCAPED', json.JSONDecoder.__init__.__globals__['sys'])
