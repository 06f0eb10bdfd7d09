"""Uploading tables: checks with clear 422s, dedup, schema, preview, delete, and jobs on them."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Lasso
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from service.config import Settings
from service.main import create_app
from tests.factories import job_body
from workers.runtime.job_runner import Outcome, WorkerContext, run_job

HOUSES = b"""size,rooms,district,price
50,2,north,150
80,3,south,260
65,2,north,190
120,4,east,400
90,3,south,300
70,3,east,230
55,2,north,160
100,4,south,350
"""


def upload(client: TestClient, data: bytes, filename: str = "houses.csv", **form: str) -> Any:
    fields = {"name": "houses", "target": "price", **form}
    return client.post("/v1/datasets", files={"file": (filename, data)}, data=fields)


def test_upload_describes_the_table_and_the_same_bytes_give_one_dataset(client: TestClient) -> None:
    first = upload(client, HOUSES)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["rows"], body["task"], body["target"], body["format"]) == (
        8,
        "regression",
        "price",
        "csv",
    )
    columns = {c["name"]: c for c in body["columns"]}
    assert columns["size"]["type"] == "number" and columns["size"]["mean"] == pytest.approx(78.75)
    assert columns["district"]["categories"] == {"north": 3, "south": 3, "east": 2}
    again = upload(client, HOUSES)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    listed = client.get("/v1/datasets").json()["items"]
    assert [d["id"] for d in listed if d["source"] == "upload"] == [body["id"]]
    preview = client.get(f"/v1/datasets/{body['id']}/preview", params={"rows": 2}).json()
    assert preview == {
        "columns": ["size", "rooms", "district", "price"],
        "rows": [[50, 2, "north", 150], [80, 3, "south", 260]],
        "column_count": 4,
        "next_columns_offset": None,
    }
    assert (body["column_count"], body["next_columns_offset"]) == (4, None)


def test_parquet_uploads_too(client: TestClient) -> None:
    table = pa.table({"x": [1.0, 2.0, 3.0, 4.0], "label": ["a", "b", "a", "b"]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    response = upload(client, sink.getvalue(), "t.parquet", target="label")
    assert response.status_code == 201, response.text
    assert (response.json()["task"], response.json()["classes"]) == ("classification", ["a", "b"])


def parquet_bytes(table: pa.Table | None = None) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2]}) if table is None else table, sink)
    return sink.getvalue()


NESTED = pa.table({"tags": [[1], [2, 3], []], "price": [1.0, 2.5, 4.0]})


BAD_FILES = [
    ("no such target", HOUSES, "houses.csv", {"target": "cost"}, "target", "no column 'cost'"),
    ("empty", b"", "e.csv", {}, "file", "is empty"),
    ("one data row", b"size,price\n1,2\n", "one.csv", {}, "file", "1 data row"),
    ("duplicate columns", b"a,a,price\n1,2,3\n4,5,6\n", "d.csv", {}, "file", "duplicate column"),
    (
        "one class",
        b"x,price\n1,7\n2,7\n",
        "c.csv",
        {"task": "classification"},
        "price",
        "one class",
    ),
    (
        "text target",
        b"x,price\n1,cheap\n2,dear\n",
        "t.csv",
        {"task": "regression"},
        "price",
        "not numeric",
    ),
    ("missing target", b"x,price\n1,\n2,3\n3,4\n", "m.csv", {}, "price", "missing in rows 1"),
    ("garbage", b"\x00\x01\x02\xff\xfe", "g.csv", {}, "file", "could not be parsed"),
    ("parquet named csv", parquet_bytes(), "p.csv", {}, "file", "holds Parquet"),
    ("csv named parquet", HOUSES, "h.parquet", {}, "file", "not a Parquet file"),
    ("nested column", parquet_bytes(NESTED), "n.parquet", {}, "tags", "upload flat columns"),
]


@pytest.mark.parametrize("bad", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_is_422_naming_the_problem_and_nothing_is_stored(
    client: TestClient, bad: tuple[str, bytes, str, dict[str, str], str, str]
) -> None:
    _, data, filename, form, field, message = bad
    response = upload(client, data, filename, **form)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field] and message in error["msg"], error
    assert [d for d in client.get("/v1/datasets").json()["items"] if d["source"] == "upload"] == []


def test_an_oversized_upload_is_413(settings: Settings) -> None:
    small = Settings.model_validate({**settings.model_dump(), "max_upload_bytes": 2048})
    with TestClient(create_app(small)) as client:
        response = upload(client, HOUSES + b"1,1,north,1\n" * 400)
        assert response.status_code == 413
        assert upload(client, HOUSES).status_code == 201


def test_a_table_without_a_target_is_for_scoring_not_training(client: TestClient) -> None:
    files = {"file": ("houses.csv", HOUSES)}
    plain = client.post("/v1/datasets", files=files, data={"name": "to score"})
    assert plain.status_code == 201, plain.text
    body = plain.json()
    assert (body["target"], body["task"], body["classes"], body["column_count"]) == (
        None,
        None,
        None,
        4,
    )
    listed = next(
        d for d in client.get("/v1/datasets").json()["items"] if d.get("id") == body["id"]
    )
    assert (listed["task"], listed["features"]) == (None, 4)
    assert "no target" in listed["description"]
    # The same bytes with a target are another dataset, one to train on.
    assert upload(client, HOUSES).json()["id"] != body["id"]
    again = client.post("/v1/datasets", files=files, data={"name": "to score"})
    assert (again.status_code, again.json()["id"]) == (200, body["id"])

    job = client.post("/v1/jobs", json=job_body(dataset={"id": body["id"]}))
    assert job.status_code == 422
    (error,) = job.json()["detail"]
    assert error["loc"] == ["body", "dataset", "id"] and "without a target" in error["msg"]
    task = client.post("/v1/datasets", files=files, data={"name": "x", "task": "regression"})
    assert task.status_code == 422
    assert task.json()["detail"][0]["loc"] == ["body", "task"]


def test_jobs_refer_to_uploads_by_id_and_features(client: TestClient) -> None:
    dataset_id = upload(client, HOUSES).json()["id"]
    unknown = client.post(
        "/v1/jobs", json=job_body(dataset={"id": dataset_id, "features": ["size", "age"]})
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "dataset", "features", 1]
    missing = client.post("/v1/jobs", json=job_body(dataset={"id": "nope"}))
    assert missing.json()["detail"][0]["loc"] == ["body", "dataset", "id"]
    both = client.post("/v1/jobs", json=job_body(dataset={"id": dataset_id, "name": "iris"}))
    assert both.status_code == 422
    job = client.post("/v1/jobs", json=job_body(dataset={"id": dataset_id}))
    assert job.status_code == 202
    refused = client.delete(f"/v1/datasets/{dataset_id}")
    assert refused.status_code == 409 and job.json()["id"] in refused.json()["detail"]
    client.post(f"/v1/jobs/{job.json()['id']}/cancel")
    assert client.delete(f"/v1/datasets/{dataset_id}").status_code == 204
    assert client.get(f"/v1/datasets/{dataset_id}").status_code == 404


def test_a_job_on_an_upload_matches_a_scikit_learn_pipeline(
    client: TestClient, settings: Settings
) -> None:
    dataset_id = upload(client, HOUSES).json()["id"]
    body = job_body(
        dataset={"id": dataset_id},
        regularizers=[{"kind": "l1", "alpha": 1.0}],
        split={"test_fraction": 0.25, "seed": 3},
        preprocessing={"standardize": True},
    )
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    result = client.get(f"/v1/jobs/{job_id}/result").json()

    rows = [line.split(",") for line in HOUSES.decode().strip().splitlines()[1:]]
    X = np.array([[float(r[0]), float(r[1]), r[2]] for r in rows], dtype=object)
    y = np.array([float(r[3]) for r in rows])
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=3, shuffle=True)
    pipeline = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), [0, 1]), ("cat", OneHotEncoder(), [2])]),
        Lasso(alpha=1.0),
    ).fit(X_train, y_train)
    lasso = pipeline[-1]
    assert result["coefficients"]["feature_names"] == [
        "size", "rooms", "district=east", "district=north", "district=south"
    ]  # fmt: skip
    assert np.allclose(result["coefficients"]["coef"], lasso.coef_, atol=1e-9)
    assert result["coefficients"]["intercept"] == pytest.approx(lasso.intercept_, abs=1e-9)
    assert result["preprocessing"]["standardized"] == ["rooms", "size"]
    scaler = pipeline[0].named_transformers_["num"]
    original = result["original_coefficients"]["coef"]
    assert original[0] == pytest.approx(lasso.coef_[0] / scaler.scale_[0])
    job = client.get(f"/v1/jobs/{job_id}").json()
    assert job["spec"]["dataset"]["id"] == dataset_id
    assert result["dataset_hash"] == client.get(f"/v1/datasets/{dataset_id}").json()["content_hash"]


cells = st.one_of(
    st.none(),
    st.integers(-1000, 1000),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["a", "b", "c", "x y", ""]),
)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.lists(st.sampled_from(["a", "b", "c", "t"]), min_size=1, max_size=4),
    rows=st.lists(st.lists(cells, min_size=4, max_size=4), min_size=0, max_size=6),
    task=st.sampled_from([None, "regression", "classification"]),
)
def test_any_small_table_is_stored_consistently_or_refused_with_422(
    embedded_settings: Settings, columns: list[str], rows: list[list[Any]], task: str | None
) -> None:
    lines = [",".join(columns)] + [
        ",".join("" if v is None else str(v) for v in row[: len(columns)]) for row in rows
    ]
    data = ("\n".join(lines) + "\n").encode()
    with TestClient(create_app(embedded_settings)) as client:
        form = {"task": task} if task else {}
        response = upload(client, data, "random.csv", target="t", **form)
        assert response.status_code in {200, 201, 422}, response.text
        if response.status_code != 422:
            body = response.json()
            assert [c["name"] for c in body["columns"]] == columns
            assert body["rows"] == len(rows)


def test_a_parquet_upload_trains_a_classifier(client: TestClient, settings: Settings) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    label = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    sink = io.BytesIO()
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1], "label": label}), sink)
    dataset_id = upload(client, sink.getvalue(), "t.parquet", target="label").json()["id"]
    body = job_body(
        dataset={"id": dataset_id},
        model={"kind": "logistic_regression"},
        regularizers=[{"kind": "l2", "alpha": 1.0}],
        split={"test_fraction": 0.25, "stratify": True},
    )
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    assert run_job(WorkerContext.from_settings(settings), job_id, "w/1") is Outcome.succeeded
    result = client.get(f"/v1/jobs/{job_id}/result").json()
    assert result["classes"] == ["no", "yes"]
    assert result["metrics"]["test"]["accuracy"] >= 0.8


def test_nan_in_a_parquet_file_is_missing_and_infinity_is_422(client: TestClient) -> None:
    def parquet(values: list[float]) -> bytes:
        buffer = io.BytesIO()
        pq.write_table(pa.table({"x": values, "y": [1.0, 2.0, 3.0, 4.0]}), buffer)
        return buffer.getvalue()

    response = upload(client, parquet([1.0, float("nan"), 3.0, 4.0]), "nan.parquet", target="y")
    assert response.status_code == 201, response.text
    (x,) = [c for c in response.json()["columns"] if c["name"] == "x"]
    assert (x["missing"], x["mean"]) == (1, pytest.approx(8 / 3))
    response = upload(client, parquet([1.0, float("inf"), 3.0, 4.0]), "inf.parquet", target="y")
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == "x" and "rows 2" in detail["msg"]
