# %% [markdown]
# # Clean
# Orders with an amount below 2 are dropped; prices are converted.

# %% tags=["parameters"]
upstream = ["load"]
product = None
currency = None

# %%
import csv

with open(upstream["load"]["data"], newline="") as f:
    orders = [row for row in csv.DictReader(f) if int(row["amount"]) >= 2]

with open(product["data"], "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=["order", "amount", "price", "currency"])
    writer.writeheader()
    for row in orders:
        writer.writerow({**row, "currency": currency})

# %%
len(orders)
