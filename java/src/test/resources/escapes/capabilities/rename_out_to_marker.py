# expect: blocked
# Make a file inside, then move it to MARKER's place outside.
with DATA.open('m', 'w') as f:
    f.write('x')
parts = MARKER.split('/')
DATA.rename('m', '../' + parts[-2] + '/' + parts[-1])
print('ESCAPED: renamed out')
