"""IAM users, groups and roles as named entities: looked up and listed, NoSuchEntity and EntityAlreadyExists
in AWS's words, their ARNs, renamed and moved."""
from __future__ import annotations

from typing import Generic, TypeVar

from sqlalchemy import bindparam, select

from idp.errors import Conflict, NotFound
from idp.iam.names import arn
from models import db
from models.iam_entity import IamEntity

Entity = TypeVar("Entity", bound=IamEntity)


class EntityKind(Generic[Entity]):
    """One kind of IAM entity: its model and `kind`, the ARN's resource type and the word in AWS's messages."""

    def __init__(self, model: type[Entity], kind: str) -> None:
        self.model = model
        self.kind = kind
        # Built once: most IAM requests look an entity up by name, and building and keying the statement
        # anew each time cost about as much as running it.
        self._by_name = select(model).where(
            model.account_id == bindparam("account"), model.name_lower == bindparam("name")
        )

    def find(self, account_id: str, name: str) -> Entity | None:
        """The entity of that name (case-insensitive, as at AWS), or None."""
        return db.session.scalar(self._by_name, {"account": account_id, "name": name.lower()})

    def get(self, account_id: str, name: str) -> Entity:
        """The entity of that name, or NoSuchEntity."""
        entity = self.find(account_id, name)
        if entity is None:
            raise NotFound(f"The {self.kind} with name {name} cannot be found.")
        return entity

    def arn(self, account_id: str, path: str, name: str) -> str:
        """`arn:aws:iam::<account>:<kind><path><name>`."""
        return arn(account_id, self.kind, path, name)

    def resource_arn(self, account_id: str, name: str) -> str:
        """The ARN a request about entity `name` is authorized on (path known only if it exists)."""
        entity = self.find(account_id, name)
        return entity.arn if entity else self.arn(account_id, "/", name)

    def listed(self, account_id: str, path_prefix: str, *, after: str | None = None,
               limit: int | None = None) -> list[Entity]:
        """The account's entities under `path_prefix`, ordered by name; with `after` (a lower-cased name) and
        `limit`, one keyset page: a range read of the (account_id, name_lower) unique index however many there are."""
        model = self.model
        query = select(model).where(model.account_id == account_id,
                                    model.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(model.name_lower > after)
        return list(db.session.scalars(query.order_by(model.name_lower).limit(limit)))

    def refuse_taken(self, account_id: str, name: str) -> None:
        """EntityAlreadyExists when `name` is taken in the account (case-insensitive, as at AWS)."""
        if self.find(account_id, name) is not None:
            raise Conflict(f"{self.kind.capitalize()} with name {name} already exists.")

    def rename(self, entity: Entity, new_name: str | None, new_path: str | None) -> None:
        """Rename and/or move an entity (None keeps the name or path); the ARN follows."""
        if new_name and new_name.lower() != entity.name_lower:
            self.refuse_taken(entity.account_id, new_name)
        entity.name = new_name or entity.name
        entity.path = new_path or entity.path
        entity.arn = self.arn(entity.account_id, entity.path, entity.name)
