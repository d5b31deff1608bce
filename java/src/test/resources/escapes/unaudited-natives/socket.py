# expect: blocked
import socket
print('ESCAPED', socket.socket())
