import json


def summarize(product, upstream):
    """One line per fit, as JSON: the python-callable task of the pipeline."""
    fits = [json.load(open(str(path["data"]))) for path in upstream["fit-*"].values()]
    with open(str(product), "w") as f:
        json.dump(sorted(fits, key=lambda fit: fit["min_amount"]), f, indent=2)
