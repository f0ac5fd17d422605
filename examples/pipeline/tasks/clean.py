# %% [markdown]
# # Clean the sales
# Drop refunds and small amounts; on a sample run, keep a few rows only.

# %% tags=["parameters"]
upstream = ['get']
product = None
sample = False
min_amount = 0

# %%
import csv

with open(upstream['get'], newline='') as f:
    rows = [r for r in csv.DictReader(f) if float(r['amount']) > min_amount]
if sample:
    rows = rows[:3]
print(f"{len(rows)} rows kept")

# %%
with open(product['data'], 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=['date', 'region', 'amount'])
    writer.writeheader()
    writer.writerows(rows)
len(rows)
