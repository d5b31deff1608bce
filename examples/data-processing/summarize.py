"""Sums the orders in every CSV file of the granted directory `orders`
and writes a report per customer to the granted directory `reports`.

Run it with the two directories granted, e.g.:
    scripts/objcap run --read orders=examples/data-processing/orders \
        --write reports=/tmp/reports examples/data-processing/summarize.py
"""
import csv
import json
from collections import defaultdict

totals = defaultdict(float)
items = defaultdict(int)
for name in orders.listdir():
    if not name.endswith('.csv'):
        continue
    with orders.open(name, newline='') as f:
        for row in csv.DictReader(f):
            amount = int(row['quantity']) * float(row['unit_price'])
            totals[row['customer']] += amount
            items[row['customer']] += int(row['quantity'])

summary = {c: {'items': items[c], 'total': round(totals[c], 2)}
           for c in sorted(totals)}
with reports.open('summary.json', 'w') as f:
    json.dump(summary, f, indent=2, sort_keys=True)
with reports.open('summary.csv', 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['customer', 'items', 'total'])
    for customer, s in summary.items():
        writer.writerow([customer, s['items'], f"{s['total']:.2f}"])

for customer, s in summary.items():
    print(f"{customer:8} {s['items']:3} items {s['total']:9.2f}")
