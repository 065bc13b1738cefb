"""IAM instance profiles: a named container for (at most) one role, handed to EC2 instances."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import Tags
from .iam_entity import IamEntity

if TYPE_CHECKING:
    from .role import Role


class InstanceProfile(IamEntity, Base):
    """An instance profile (`arn:aws:iam::<account>:instance-profile<path><name>`, id `AIPA...`)."""

    __tablename__ = "instance_profiles"
    name_max_length = 128

    instance_profile_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    tags: Mapped[Tags]
    # AWS allows one role per profile (quota InstanceSessionsPerInstanceProfile = 1), so a column, not a table.
    # NO ACTION: a role still in a profile cannot be deleted (DeleteConflict), yet deleting a whole account
    # cascades through both tables in one statement.
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id"), index=True)

    role: Mapped[Role | None] = relationship(back_populates="instance_profiles")
