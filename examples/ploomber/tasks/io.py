import json


def write_json(obj, product):
    """The pipeline's serializer: what a function task returns, as indented JSON."""
    with open(str(product), "w") as f:
        json.dump(obj, f, indent=2)
