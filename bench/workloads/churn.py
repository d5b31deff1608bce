# Dict, string, class and generator churn: attribute sets on classes and
# instances, closures, comprehensions, exceptions (paths the audit hook
# and the stand-ins sit on).
import json

SIZE = 4000
SMOKE = 20


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def run(rounds=SIZE):
    total = 0
    for i in range(rounds):
        d = {str(k): k * i for k in range(30)}
        s = json.dumps(d)
        total += len(json.loads(s))
        pts = [Point(k, i) for k in range(20)]
        total += sum(p.x + p.y for p in pts)
        try:
            raise ValueError(i)
        except ValueError as e:
            total += len(str(e))
        f = (lambda a: lambda b: a + b)(i)
        total += f(1)
    return total
