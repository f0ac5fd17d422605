import csv


def no_nulls_in_price(product):
    """on_finish data check: every order has a price."""
    with open(str(product["data"]), newline="") as f:
        missing = [line for line, row in enumerate(csv.DictReader(f), start=2) if row["price"].strip() in ("", "NA", "NULL", "None")]
    assert not missing, f"{len(missing)} NULL price(s) in {product['data']} (lines {missing[:5]})"
