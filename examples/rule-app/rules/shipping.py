# The shipping rule of the shop: edit it, the shop runs it as it is.
#
# The shop calls shipping_fee(order) for each order, where order is a dict
# such as {"id": 1, "country": "DE", "total": 30.0, "items": 2}, and charges
# what it returns. The rule runs in an objcap sandbox: it computes as much
# as it likes, but it sees only the order (open(), import os and the network
# are refused), and a rule that loops forever is stopped after 2 seconds.

FREE_FROM = 50.0


def shipping_fee(order):
    if order["total"] >= FREE_FROM:
        return 0.0
    if order["country"] == "DE":
        return 4.90
    return 9.90 + 0.50 * order["items"]
