"""Scorings: a job's model over a whole uploaded table, run by the worker, equal to the
same model in-process; each refusal is a 4xx that names its field, and a scoring is
never taken for a job (nor one caller's for another's)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris

from service.config import Settings
from service.main import create_app
from tests.api.test_auth import ALICE, BOB, auth
from tests.api.test_dataset_uploads import upload
from tests.api.test_predictions import HOUSES, onnx_outputs, predict, trained
from workers.runtime.job_runner import Outcome, WorkerContext, run_job

HOUSES_JOB = {
    "model": {"kind": "linear_regression"},
    "regularizers": [{"kind": "l2", "alpha": 0.5}],
    "preprocessing": {"missing": "impute_mean", "standardize": True},
    "split": {"test_fraction": 0},
}
ROWS = 100_000


def trained_houses_data() -> bytes:
    """The houses table with every price known."""
    return HOUSES.replace(b"85,3,east,\n", b"85,3,east,280\n")


def houses_model(client: TestClient, settings: Settings) -> str:
    dataset = upload(client, trained_houses_data(), target="price").json()
    return trained(client, settings, {"dataset": {"id": dataset["id"]}, **HOUSES_JOB})


def many_houses(rows: int, price: bool = False) -> bytes:
    """New houses: some rooms missing, some in a district the model never saw; no
    price unless asked for (a table to score needs no target)."""
    rng = np.random.default_rng(0)
    rooms = rng.integers(1, 6, rows).astype(str).astype(object)
    rooms[rng.random(rows) < 0.05] = ""
    districts = np.asarray(["north", "south", "east", "west"], dtype=object)
    table = {
        "size": np.round(rng.uniform(20, 200, rows), 2).astype(str),
        "rooms": rooms,
        "district": districts[rng.integers(0, 4, rows)],
    }
    if price:
        table["price"] = np.round(rng.uniform(50, 500, rows), 1).astype(str)
    lines = [",".join(values) for values in zip(*table.values(), strict=True)]
    return (",".join(table) + "\n" + "\n".join(lines) + "\n").encode()


def to_score(client: TestClient, data: bytes, filename: str = "new-houses.csv") -> Any:
    """Upload a table with no target: one to score, not to train on."""
    files = {"file": (filename, data)}
    response = client.post("/v1/datasets", files=files, data={"name": filename})
    assert response.status_code == 201, response.text
    assert (response.json()["target"], response.json()["task"]) == (None, None)
    return response.json()


def score(client: TestClient, job_id: str, dataset_id: str, **params: str) -> str:
    response = client.post(
        f"/v1/jobs/{job_id}/predictions", json={"dataset": {"id": dataset_id}}, params=params
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert response.headers["location"] == accepted["url"] == f"/v1/scorings/{accepted['id']}"
    assert accepted["status"] == "queued"
    scoring_id: str = accepted["id"]
    return scoring_id


def run(settings: Settings, scoring_id: str) -> Outcome:
    return run_job(WorkerContext.from_settings(settings), scoring_id, "w/1")


def table_of(client: TestClient, scoring: dict[str, Any], name: str) -> pa.Table:
    url = next(a["url"] for a in scoring["artifacts"] if a["name"] == name)
    response = client.get(url)
    assert response.status_code == 200, response.text
    if name.endswith(".csv"):
        assert response.headers["content-type"].startswith("text/csv")
        return pa_csv.read_csv(io.BytesIO(response.content))
    return pq.read_table(io.BytesIO(response.content))


def test_scoring_100_000_uploaded_rows_equals_the_model_in_process(
    client: TestClient, settings: Settings
) -> None:
    job_id = houses_model(client, settings)
    data = many_houses(ROWS)
    houses = to_score(client, data)
    scoring_id = score(client, job_id, houses["id"])
    assert run(settings, scoring_id) is Outcome.succeeded

    scoring = client.get(f"/v1/scorings/{scoring_id}").json()
    assert (scoring["status"], scoring["job_id"], scoring["model"]) == (
        "succeeded",
        job_id,
        "regularized",
    )
    assert scoring["result"]["rows"] == ROWS
    assert scoring["result"]["columns"] == ["row", "prediction"]
    (warning,) = scoring["result"]["warnings"]
    assert warning.endswith("rows had a 'district' not seen in training; its one-hot columns are 0")
    parquet = table_of(client, scoring, "predictions.parquet")
    assert parquet.column("row").to_pylist() == list(range(ROWS))

    # The same rows through the downloaded model.onnx, fed here from the CSV itself.
    source = pa_csv.read_csv(io.BytesIO(data))
    rooms = source.column("rooms").cast(pa.float64()).to_numpy(zero_copy_only=False)
    feeds = {
        "size": source.column("size").to_numpy().reshape(-1, 1),
        "rooms": rooms.reshape(-1, 1),
        "district": np.asarray(source.column("district").to_pylist(), dtype=object).reshape(-1, 1),
    }
    expected = onnx_outputs(client, job_id, feeds)["predictions"]
    assert_allclose(parquet.column("prediction").to_numpy(), expected, rtol=1e-12)
    csv = table_of(client, scoring, "predictions.csv")
    assert_allclose(csv.column("prediction").to_numpy(), expected, rtol=1e-12)

    # ... and through the online endpoint, row by row as a caller would send them.
    first = [
        {"size": float(s), "rooms": None if np.isnan(r) else float(r), "district": d}
        for s, r, d in zip(
            feeds["size"][:50, 0], rooms[:50], feeds["district"][:50, 0], strict=True
        )
    ]
    online = predict(client, job_id, {"rows": first})["predictions"]
    assert_allclose(parquet.column("prediction").to_numpy()[:50], online, rtol=1e-12)

    listed = client.get(f"/v1/jobs/{job_id}/scorings").json()
    assert [s["id"] for s in listed] == [scoring_id]


def test_a_classifier_s_scoring_has_labels_and_one_probability_per_class(
    client: TestClient, settings: Settings
) -> None:
    job_id = trained(
        client,
        settings,
        {
            "dataset": {"name": "iris"},
            "model": {"kind": "logistic_regression", "max_iter": 1000},
            "regularizers": [{"kind": "l1", "alpha": 0.5}],
        },
    )
    X, y = load_iris(return_X_y=True)
    lines = ["species,a,b,c,d"] + [
        f"{t},{a},{b},{c},{d}" for (a, b, c, d), t in zip(X, y, strict=True)
    ]
    iris = upload(client, "\n".join(lines).encode(), filename="iris.csv", target="species")
    assert iris.status_code == 201, iris.text
    for model in ("regularized", "baseline"):
        scoring_id = score(client, job_id, iris.json()["id"], model=model)
        assert run(settings, scoring_id) is Outcome.succeeded
        scoring = client.get(f"/v1/scorings/{scoring_id}").json()
        classes = ["setosa", "versicolor", "virginica"]
        assert scoring["result"]["columns"] == [
            "row",
            "prediction",
            *(f"probability_{c}" for c in classes),
        ]
        table = table_of(client, scoring, "predictions.parquet")
        online = predict(client, job_id, {"instances": X.tolist()}, model=model)
        assert table.column("prediction").to_pylist() == online["predictions"]
        probabilities = np.column_stack(
            [table.column(f"probability_{c}").to_numpy() for c in classes]
        )
        assert_allclose(probabilities, online["probabilities"], rtol=1e-9)


def detail(response: Any) -> Any:
    return response.json()["detail"]


def test_what_a_scoring_refuses_and_where_it_says_so(
    client: TestClient, settings: Settings
) -> None:
    job_id = houses_model(client, settings)
    no_rooms = upload(client, b"size,district,price\n1,north,2\n3,south,4\n", name="no rooms")
    text_size = upload(client, b"size,rooms,district,price\nbig,2,north,1\nsmall,3,east,2\n")
    path = f"/v1/jobs/{job_id}/predictions"
    cases = [
        ({"dataset": {"id": "nope"}}, ["body", "dataset", "id"], "no uploaded dataset 'nope'"),
        (
            {"dataset": {"id": no_rooms.json()["id"]}},
            ["body", "dataset", "id"],
            "no column 'rooms'",
        ),
        ({"dataset": {"id": text_size.json()["id"]}}, ["body", "dataset", "id"], "not numeric"),
        (
            {"dataset": {"id": no_rooms.json()["id"]}, "rows": [{"size": 1}]},
            ["body", "rows"],
            "not both",
        ),
        ({"dataset": {}}, ["body", "dataset", "id"], "Field required"),
    ]
    for body, loc, message in cases:
        response = client.post(path, json=body)
        assert response.status_code == 422, (body, response.text)
        (error,) = detail(response)
        assert error["loc"] == loc and message in error["msg"], (body, error)
    some = {"dataset": {"id": no_rooms.json()["id"]}}
    assert client.post("/v1/jobs/none/predictions", json=some).status_code == 404
    queued = client.post("/v1/jobs", json={"dataset": {"name": "diabetes"}, **HOUSES_JOB})
    waiting = client.post(f"/v1/jobs/{queued.json()['id']}/predictions", json=some)
    assert waiting.status_code == 409 and "succeeded" in detail(waiting)

    # A model trained with missing: error refuses a table with missing values up front.
    strict = {**HOUSES_JOB, "preprocessing": {"missing": "drop_rows", "standardize": True}}
    data = HOUSES.replace(b"85,3,east,\n", b"85,3,east,280\n")
    train_set = upload(client, data, name="houses").json()
    strict_id = trained(client, settings, {"dataset": {"id": train_set["id"]}, **strict})
    gaps = client.post(
        f"/v1/jobs/{strict_id}/predictions", json={"dataset": {"id": train_set["id"]}}
    )
    assert gaps.status_code == 422 and "missing values" in detail(gaps)[0]["msg"], gaps.text
    assert client.get(f"/v1/jobs/{job_id}/scorings").json() == []  # nothing half-stored


def test_a_scoring_is_not_a_job_and_goes_with_its_job(
    client: TestClient, settings: Settings
) -> None:
    job_id = houses_model(client, settings)
    houses = to_score(client, many_houses(20), "few.csv")
    scoring_id = score(client, job_id, houses["id"])
    for path in (f"/v1/jobs/{scoring_id}", f"/v1/jobs/{scoring_id}/result"):
        assert client.get(path).status_code == 404
    assert scoring_id not in [j["id"] for j in client.get("/v1/jobs").json()["items"]]
    missing = client.get(f"/v1/scorings/{job_id}")
    assert missing.status_code == 404 and detail(missing) == f"no such scoring: {job_id}"

    # Queued: deleting it or its job is a 409; cancelled, it never runs.
    assert client.delete(f"/v1/scorings/{scoring_id}").status_code == 409
    busy = client.delete(f"/v1/jobs/{job_id}")
    assert busy.status_code == 409 and scoring_id in detail(busy)
    cancelled = client.post(f"/v1/scorings/{scoring_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert run(settings, scoring_id) is Outcome.skipped
    again = client.post(f"/v1/scorings/{scoring_id}/cancel")
    assert again.status_code == 409
    assert detail(again).startswith(f"scoring {scoring_id} already cancelled")
    assert client.post(f"/v1/scorings/{job_id}/cancel").status_code == 404

    done = score(client, job_id, houses["id"])
    assert run(settings, done) is Outcome.succeeded
    files = client.get(f"/v1/scorings/{done}").json()["artifacts"]
    assert {f["name"] for f in files} == {"predictions.parquet", "predictions.csv"}
    assert client.get(f"/v1/scorings/{done}/artifacts/model.onnx").status_code == 404
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    for gone in (scoring_id, done):
        assert client.get(f"/v1/scorings/{gone}").status_code == 404
    assert client.get(files[0]["url"]).status_code == 404


def test_callers_do_not_see_each_other_s_scorings(settings: Settings) -> None:
    keyed = Settings.model_validate({**settings.model_dump(), "api_keys": f"{ALICE},{BOB}"})
    with TestClient(create_app(keyed)) as client:
        client.headers.update(auth(BOB))
        theirs = to_score(client, many_houses(11), "b.csv")
        client.headers.update(auth(ALICE))
        job_id = houses_model(client, keyed)
        mine = to_score(client, many_houses(10), "a.csv")
        body = {"dataset": {"id": mine["id"]}}
        path = f"/v1/jobs/{job_id}/predictions"
        assert client.post(path, json=body, headers=auth(BOB)).status_code == 404
        other = client.post(path, json={"dataset": {"id": theirs["id"]}}, headers=auth(ALICE))
        assert other.status_code == 422
        scoring = client.post(path, json=body, headers=auth(ALICE))
        assert scoring.status_code == 202
        url = scoring.json()["url"]
        assert client.get(url, headers=auth(BOB)).status_code == 404
        assert client.post(f"{url}/cancel", headers=auth(BOB)).status_code == 404
        assert client.get(url, headers=auth(ALICE)).status_code == 200


@pytest.mark.parametrize("model", ["regularized"])
def test_a_network_scores_an_uploaded_table_of_pixels(
    client: TestClient, settings: Settings, model: str
) -> None:
    from sklearn.datasets import load_digits

    job_id = trained(
        client,
        settings,
        {
            "dataset": {"name": "digits"},
            "model": {"kind": "cnn", "channels": [4], "fc": 8},
            "training": {"epochs": 1},
        },
    )
    X, y = load_digits(return_X_y=True)
    header = "label," + ",".join(f"p{i}" for i in range(64))
    lines = [header] + [
        f"{t}," + ",".join(map(str, row)) for row, t in zip(X[:200], y, strict=False)
    ]
    digits = upload(client, "\n".join(lines).encode(), filename="digits.csv", target="label")
    assert digits.status_code == 201, digits.text
    scoring_id = score(client, job_id, digits.json()["id"], model=model)
    assert run(settings, scoring_id) is Outcome.succeeded
    table = table_of(client, client.get(f"/v1/scorings/{scoring_id}").json(), "predictions.parquet")
    online = predict(client, job_id, {"instances": X[:200].reshape(-1, 1, 8, 8).tolist()})
    assert table.column("prediction").to_pylist() == online["predictions"]
    columns = [c for c in table.column_names if c.startswith("probability_")]
    probabilities = np.column_stack([table.column(c).to_numpy() for c in columns])
    assert_allclose(probabilities, online["probabilities"], rtol=1e-5, atol=1e-6)
