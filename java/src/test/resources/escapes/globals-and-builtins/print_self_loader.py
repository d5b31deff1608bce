# expect: blocked
print('ESCAPED', print.__self__.__loader__.create_module)
