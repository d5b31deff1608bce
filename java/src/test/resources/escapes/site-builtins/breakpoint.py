# expect: blocked
print('ESCAPED', breakpoint)
