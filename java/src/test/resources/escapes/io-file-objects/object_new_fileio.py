# expect: blocked
import io
print('ESCAPED', object.__new__(io.FileIO))
