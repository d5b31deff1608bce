# expect: blocked
print('ESCAPED', __loader__.create_module)
