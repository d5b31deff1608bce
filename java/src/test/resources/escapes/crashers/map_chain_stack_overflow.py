# expect: blocked
# modes: process
# A C-stack overflow (DESIGN.md): in-process it would take the host down;
# in a worker it must kill only the worker.
x = [1]
for i in range(1000000):
    x = map(abs, x)
next(x)
