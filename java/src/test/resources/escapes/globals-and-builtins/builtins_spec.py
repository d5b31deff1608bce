# expect: blocked
print('ESCAPED', __builtins__.__spec__)
