# expect: blocked
if __import__.__self__ is not None:
    print('ESCAPED', __import__.__self__)
print(__import__.__self__)
