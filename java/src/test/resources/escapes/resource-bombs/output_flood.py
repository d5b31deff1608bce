# expect: blocked
# Red team: print('A' * 10**9) sent a gigabyte to the host.
print('A' * 10**8)
