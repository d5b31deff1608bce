# expect: blocked
import random
if random.__spec__.loader is not None or random.__loader__ is not None:
    print('ESCAPED', random.__spec__.loader, random.__loader__)
