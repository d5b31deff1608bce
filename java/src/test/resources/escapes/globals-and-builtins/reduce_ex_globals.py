# expect: blocked
fn = object().__reduce_ex__(2)[0]
print('ESCAPED', fn.__globals__)
