from __future__ import annotations

from fastapi import APIRouter

from api_schemas import DatasetList
from service.datasets.catalog import BUILTIN_DATASETS

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

_LISTING = DatasetList(items=[d.info() for d in BUILTIN_DATASETS.values()])


@router.get("")
def list_datasets() -> DatasetList:
    return _LISTING
