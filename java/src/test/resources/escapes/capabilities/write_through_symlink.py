# expect: blocked
with DATA.open('link_to_canary', 'w') as f:
    f.write('overwritten')
print('ESCAPED: wrote through a link')
