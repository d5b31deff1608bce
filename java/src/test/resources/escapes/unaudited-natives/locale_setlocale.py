# expect: blocked
import locale
print('ESCAPED', locale.setlocale(locale.LC_ALL, 'C'))
