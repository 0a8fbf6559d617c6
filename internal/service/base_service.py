"""What every service shares: the database and the one ownership check."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from injector import inject
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from internal.exception import NotFoundException, ValidateErrorException
from internal.extension.database import SQLAlchemy

ModelT = TypeVar("ModelT")


@inject
@dataclass
class BaseService:
    db: SQLAlchemy

    def get_owned(self, model: type[ModelT], resource_id: uuid.UUID, account_id: uuid.UUID, message: str) -> ModelT:
        """Load a resource of `account_id`; missing and foreign look the same to the caller."""
        resource = self.db.session.get(model, resource_id)
        if resource is None or resource.account_id != account_id:
            raise NotFoundException(message)
        return resource

    def check_name_free(
        self, model: type, account_id: uuid.UUID, name: str, message: str, excluding: uuid.UUID | None = None
    ) -> None:
        """Names unique per account: refuse `name` if another of the account's resources has it."""
        stmt = select(model.id).where(model.account_id == account_id, model.name == name)
        if excluding is not None:
            stmt = stmt.where(model.id != excluding)
        if self.db.session.scalar(stmt.limit(1)) is not None:
            raise ValidateErrorException(message)

    @contextmanager
    def saving_unique_name(self, message: str) -> Iterator[None]:
        """auto_commit, where the one unique key a valid request can still break is the name,
        taken by a concurrent request between the check and the commit."""
        try:
            with self.db.auto_commit():
                yield
        except IntegrityError:
            raise ValidateErrorException(message) from None
