"""Name lookups of groups and roles for modules that must not depend on their families."""
from __future__ import annotations

from sqlalchemy import select

from models import db
from models.group import Group
from models.role import Role


def group(account_id: str, name: str) -> Group | None:
    """The group of that name (case-insensitive), or None."""
    return db.session.scalar(select(Group).where(Group.account_id == account_id, Group.name_lower == name.lower()))


def role(account_id: str, name: str) -> Role | None:
    """The role of that name (case-insensitive), or None."""
    return db.session.scalar(select(Role).where(Role.account_id == account_id, Role.name_lower == name.lower()))
