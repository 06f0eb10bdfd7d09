from __future__ import annotations

from fastapi import APIRouter, Depends

from api_schemas import DatasetList
from service.api.deps import get_caller
from service.datasets.catalog import BUILTIN_DATASETS

router = APIRouter(prefix="/v1/datasets", tags=["datasets"], dependencies=[Depends(get_caller)])

_LISTING = DatasetList(items=[d.info() for d in BUILTIN_DATASETS.values()])


@router.get("")
def list_datasets() -> DatasetList:
    return _LISTING
