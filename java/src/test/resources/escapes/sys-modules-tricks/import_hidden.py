# expect: blocked
print('ESCAPED', __import__('.hidden'))
