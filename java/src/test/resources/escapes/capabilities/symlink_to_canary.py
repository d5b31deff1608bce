# expect: blocked
# A link the host left inside the grant points out of it.
print('ESCAPED', DATA.open('link_to_canary').read())
