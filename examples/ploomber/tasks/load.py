# %% tags=["parameters"]
upstream = None
product = None
sample = None

# %%
import csv
import random

# Synthetic sales: every 7th order has no price (a NULL), repaired later by `clean`.
random.seed(0)
rows = 20 if sample else 200
with open(product["data"], "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["order", "amount", "price"])
    for order in range(rows):
        writer.writerow([order, random.randint(1, 30), round(random.uniform(1, 9), 2)])
print(f"wrote {rows} orders")
