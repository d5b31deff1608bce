# expect: blocked
async def a():
    yield 1
print('ESCAPED', a().ag_frame)
