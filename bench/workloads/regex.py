# Regular expressions in the style of pyperformance's regex_effbot and
# regex_v8: compiled patterns searched, matched, split and substituted over
# generated text (the _sre engine, match objects, the pattern cache).
import re

SIZE = 18
SMOKE = 1

WORDS = ('alpha beta gamma delta epsilon 2024-11-27 user@example.org '
         'http://www.python.org/ foo_bar(42) XML <b>bold</b> 3.14159 ')
TEXT = ''.join(WORDS + str(i) + ' ' for i in range(300))
PATTERNS = [
    re.compile(r'\b\w+@\w+\.\w+\b'),
    re.compile(r'(\d{4})-(\d{2})-(\d{2})'),
    re.compile(r'https?://[^\s/]+(/\S*)?'),
    re.compile(r'<(\w+)>(.*?)</\1>'),
    re.compile(r'[A-Z]{2,}'),
    re.compile(r'(\w+)\((\d+)\)'),
    re.compile(r'\d+\.\d+'),
    re.compile(r'(?i)GAMMA|EPSILON'),
]


def run(n=SIZE):
    total = 0
    for _ in range(n):
        for p in PATTERNS:
            total += len(p.findall(TEXT))
            m = p.search(TEXT)
            total += m.end() if m else 0
        total += len(re.split(r'\s+', TEXT))
        total += len(re.sub(r'(\d+)', r'<\1>', TEXT))
        total += sum(1 for _ in re.finditer(r'[aeiou]{2}', TEXT))
    return total
