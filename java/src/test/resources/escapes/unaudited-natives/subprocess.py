# expect: blocked
import subprocess
print('ESCAPED', subprocess.run(['true']))
