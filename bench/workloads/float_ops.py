# pyperformance's float: many small objects with float attributes, math.sin
# and math.cos, attribute reads and writes, method calls.
import math

SIZE = 150000
SMOKE = 500


class Point:
    __slots__ = ('x', 'y', 'z')

    def __init__(self, i):
        self.x = x = math.sin(i)
        self.y = math.cos(i) * 3
        self.z = (x * x) / 2

    def normalize(self):
        x, y, z = self.x, self.y, self.z
        norm = math.sqrt(x * x + y * y + z * z)
        self.x /= norm
        self.y /= norm
        self.z /= norm

    def maximize(self, other):
        self.x = self.x if self.x > other.x else other.x
        self.y = self.y if self.y > other.y else other.y
        self.z = self.z if self.z > other.z else other.z
        return self


def run(n=SIZE):
    points = [Point(i) for i in range(n)]
    for p in points:
        p.normalize()
    best = points[0]
    for p in points[1:]:
        best = best.maximize(p)
    return round(best.x, 12), round(best.y, 12), round(best.z, 12)
