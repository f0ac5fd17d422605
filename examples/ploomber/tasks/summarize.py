import json


def summarize(upstream):
    """One entry per fit: the python-callable task of the pipeline (the serializer writes what it returns)."""
    fits = [json.load(open(str(path["data"]))) for path in upstream["fit-*"].values()]
    return sorted(fits, key=lambda fit: fit["min_amount"])
