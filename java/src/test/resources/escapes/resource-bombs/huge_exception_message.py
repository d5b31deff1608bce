# expect: blocked
# Red team (process mode): a 600-million-character str(exc) peaked the JVM
# at 4 GB; the host must receive a bounded message.
raise ValueError('x' * 10**8)
