# expect: blocked
# A read-only grant's file, turned writable through its raw layer.
f = READONLY.open('plain.txt', 'rb')
raw = f.raw
for attempt in (lambda: raw.write(b'ESCAPED'), lambda: raw.truncate(0),
                lambda: READONLY.open('plain.txt', 'r+'),
                lambda: READONLY.open('new.txt', 'x'),
                lambda: READONLY.mkdir('d')):
    try:
        attempt()
        print('ESCAPED: the read-only grant changed something')
    except Exception:
        pass
f.close()
