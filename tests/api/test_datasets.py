from __future__ import annotations

from fastapi.testclient import TestClient


def test_lists_every_built_in_dataset_with_task_and_size(client: TestClient) -> None:
    items = {d["name"]: d for d in client.get("/v1/datasets").json()["items"]}
    assert set(items) == {
        "seed_linear",
        "sparse_regression",
        "classification",
        "diabetes",
        "breast_cancer",
        "iris",
        "wine",
        "digits",
        "fashion_mnist",
    }
    assert items["seed_linear"] | {"params": None} == {
        "id": None,
        "source": "builtin",
        "name": "seed_linear",
        "task": "regression",
        "rows": 100,
        "features": 1,
        "classes": None,
        "image_shape": None,
        "description": items["seed_linear"]["description"],
        "params": None,
    }
    assert {p["name"] for p in items["seed_linear"]["params"]} == {
        "n_samples",
        "noise",
        "slope",
        "seed",
    }
    assert (items["iris"]["task"], items["iris"]["classes"]) == ("classification", 3)
    assert items["digits"]["image_shape"] == [1, 8, 8]
    assert (items["fashion_mnist"]["rows"], items["fashion_mnist"]["image_shape"]) == (
        70000,
        [1, 28, 28],
    )
