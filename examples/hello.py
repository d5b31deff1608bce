# A first sandboxed script: run it with
#   scripts/objcap run examples/hello.py

print("Hello from inside an objcap sandbox!")

# Plain computation works as usual.
squares = [n * n for n in range(1, 11)]
print("The first ten squares:", squares)
print("Their sum:", sum(squares))


def fibonacci(count):
    a, b = 0, 1
    for _ in range(count):
        yield a
        a, b = b, a + b


print("Fibonacci:", ", ".join(str(n) for n in fibonacci(15)))
print("2 ** 100 =", 2 ** 100)
print("Unicode is fine too: héllo, wörld, 😀")
