# expect: blocked
# CPython gh-142732: zip_longest (and islice) re-entered from an iterator it
# is advancing drops that iterator while the outer call still uses it.
import itertools
entered = []
class Reenter:
    def __iter__(self):
        return self
    def __next__(self):
        z = self.zip_longest
        if z is None:
            raise StopIteration
        self.zip_longest = None
        try:
            next(z, None)
            entered.append('zip_longest')
        except RuntimeError:
            pass
        raise StopIteration
for _ in range(500):
    driver = Reenter()
    driver.zip_longest = itertools.zip_longest(itertools.chain(driver),
                                               itertools.repeat(None))
    try:
        next(driver.zip_longest)
    except (StopIteration, RuntimeError):
        pass
class Again:
    def __iter__(self):
        return self
    def __next__(self):
        try:
            next(s)
            entered.append('islice')
        except (RuntimeError, StopIteration):
            pass
        return 0
s = itertools.islice(Again(), 3)
try:
    list(s)
except RuntimeError:
    pass
if entered:
    print('ESCAPED: re-entered', sorted(set(entered)))
