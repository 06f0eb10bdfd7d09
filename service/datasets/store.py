"""DatasetStore: uploaded datasets' rows."""

from __future__ import annotations

from sqlalchemy import Engine, select

from api_schemas import JobStatus
from service.db import make_session_factory, transaction
from service.tables import Job, UploadedDataset


class DatasetInUseError(RuntimeError):
    pass


class DatasetStore:
    def __init__(self, engine: Engine) -> None:
        self.sessions = make_session_factory(engine)

    def add(self, dataset: UploadedDataset) -> None:
        with transaction(self.sessions) as session:
            session.add(dataset)

    def find(self, owner: str, content_hash: str, target: str) -> UploadedDataset | None:
        with self.sessions() as session:
            return session.scalars(
                select(UploadedDataset).where(
                    UploadedDataset.owner == owner,
                    UploadedDataset.content_hash == content_hash,
                    UploadedDataset.target == target,
                )
            ).one_or_none()

    def get(self, dataset_id: str, owner: str | None = None) -> UploadedDataset | None:
        query = select(UploadedDataset).where(UploadedDataset.id == dataset_id)
        if owner is not None:
            query = query.where(UploadedDataset.owner == owner)
        with self.sessions() as session:
            return session.scalars(query).one_or_none()

    def list(self, owner: str) -> list[UploadedDataset]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(UploadedDataset)
                    .where(UploadedDataset.owner == owner)
                    .order_by(UploadedDataset.created_at.desc())
                )
            )

    def delete(self, dataset_id: str, owner: str) -> UploadedDataset | None:
        """Remove the row unless a queued or running job uses it (DatasetInUseError)."""
        with transaction(self.sessions) as session:
            dataset = session.scalars(
                select(UploadedDataset)
                .where(UploadedDataset.id == dataset_id, UploadedDataset.owner == owner)
                .with_for_update()
            ).one_or_none()
            if dataset is None:
                return None
            active = session.scalars(
                select(Job.id)
                .where(
                    Job.dataset_id == dataset_id,
                    Job.status.in_([JobStatus.queued, JobStatus.running]),
                )
                .limit(1)
            ).first()
            if active is not None:
                raise DatasetInUseError(f"dataset {dataset_id} is used by job {active}")
            session.delete(dataset)
            return dataset
