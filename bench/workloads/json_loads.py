# pyperformance's json_loads: json.loads of documents with strings, unicode,
# numbers, nested objects and arrays (the C scanner, dict and list building).
import json

SIZE = 300
SMOKE = 5

DICT = {
    'ads_flags': 0, 'age': 18, 'bulletin_count': 0, 'comment_count': 0,
    'country': 'BR', 'encrypted_id': 'G9urXXAJwjE',
    'favorite_artists': ['Geo', 'Ramones', 'Carmen Miranda'],
    'favorite_categories': ['soft', 'soul', 'pop'],
    'friends': [{'id': i, 'name': 'friend %d' % i, 'score': i * 0.5}
                for i in range(30)],
    'location': {'city': 'S\u00e3o Paulo', 'lat': -23.55, 'lon': -46.63},
    'name': 'Nick \u00c1lvarez', 'verified': True, 'bio': None,
}
TUPLE = ([265867233, 265868503, 265252341, 265243910, 265879514] * 10,
         60)
DOCUMENTS = [json.dumps(DICT), json.dumps(TUPLE),
             json.dumps([DICT, TUPLE, 'x' * 200, 3.25e-5, -1])]


def run(n=SIZE):
    total = 0
    for _ in range(n):
        for doc in DOCUMENTS:
            for _ in range(10):
                total += len(json.loads(doc))
    return total
