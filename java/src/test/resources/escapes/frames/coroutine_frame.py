# expect: blocked
async def c():
    pass
co = c()
try:
    print('ESCAPED', co.cr_frame)
finally:
    co.close()
