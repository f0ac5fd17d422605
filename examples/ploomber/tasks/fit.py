# %% tags=["parameters"]
upstream = ["clean"]
product = None
min_amount = None

# %%
import csv
import json

with open(upstream["clean"]["data"], newline="") as f:
    kept = [row for row in csv.DictReader(f) if int(row["amount"]) >= min_amount]
revenue = sum(int(row["amount"]) * float(row["price"]) for row in kept)
with open(product["data"], "w") as f:
    json.dump({"min_amount": min_amount, "orders": len(kept), "revenue": round(revenue, 2)}, f)

# %%
from IPython.display import Markdown

Markdown(f"**{len(kept)} orders** of at least {min_amount}: revenue {revenue:.2f}")
