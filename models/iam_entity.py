"""What IAM users, groups and roles have in common as rows: the `IamEntity` mixin."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .columns import Arn, CaseInsensitiveName, CreatedAt, IamPath

if TYPE_CHECKING:
    from .account import Account


class IamEntity(CaseInsensitiveName):
    """An account's named IAM entity: `arn:aws:iam::<account>:<kind><path><name>`, unique by name regardless of case.

    Each model sets `name_max_length` (AWS: 64 for users and roles, 128 for
    groups) and declares its own unique-id column (`user_id`, `group_id`,
    `role_id`); a model with constraints of its own declares `__table_args__`
    as `entity_constraints()` plus those.
    """

    name_max_length: ClassVar[int]

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    path: Mapped[IamPath]
    arn: Mapped[Arn]
    created_at: Mapped[CreatedAt]

    @declared_attr
    def name(cls) -> Mapped[str]:
        return mapped_column(String(cls.name_max_length), nullable=False)

    @declared_attr
    def name_lower(cls) -> Mapped[str]:
        return mapped_column(String(cls.name_max_length), nullable=False)

    @declared_attr
    def account(cls) -> Mapped[Account]:
        return relationship("Account")

    @classmethod
    def entity_constraints(cls) -> tuple:
        """The constraints every entity table has (their names come from the naming convention)."""
        return (
            UniqueConstraint("account_id", "name_lower"),
            CheckConstraint(f"length(name) BETWEEN 1 AND {cls.name_max_length}", name="name_length"),
            CheckConstraint("name_lower = lower(name)", name="name_lower"),
            CheckConstraint("length(path) BETWEEN 1 AND 512", name="path_length"),
        )

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return cls.entity_constraints()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.arn}>"
