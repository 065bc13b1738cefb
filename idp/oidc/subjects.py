"""Who a token is about: the signed-in IAM user or root user, and the claims each scope releases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from idp.clock import as_utc
from idp.federation.claims import upstream_claim
from idp.iam import profiles
from idp.iam.accounts import root_arn
from models import db
from models.user import User

# OIDC Core 5.4, the claims served (`address` is not).
SCOPE_CLAIMS = {
    "profile": ("name", "given_name", "family_name", "preferred_username", "picture", "zoneinfo", "locale",
                "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}


@dataclass(frozen=True)
class Subject:
    """The end user of a grant; `user_pk` None is the account's root user."""

    account_id: str
    user_pk: int | None
    principal_arn: str
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()
    acr: str | None = None
    session_id: str | None = None

    def get_user_id(self) -> str:
        """Authlib's name for the subject identifier."""
        return self.sub

    @property
    def sub(self) -> str:
        """The user's unique id (AIDA...), so the shared authorizer resolves the IAM user; the root ARN for root."""
        if self.user_pk is None:
            return root_arn(self.account_id)
        return self.user().user_id

    def user(self) -> User | None:
        """The IAM user, or None for root."""
        return db.session.get(User, self.user_pk) if self.user_pk is not None else None


def scope_claims(subject: Subject, scopes: set[str]) -> dict:
    """The standard claims the granted `profile`, `email` and `phone` scopes release (OIDC Core 5.4), and
    `groups`: the one place userinfo and the ID token take them from."""
    user = subject.user()
    held = _standard_claims(user)
    claims: dict = {name: held[name] for scope, names in SCOPE_CLAIMS.items() if scope in scopes
                    for name in names if name in held}
    claims["groups"] = sorted(group.name for group in user.groups) if user else []
    if user is not None:
        claims.update(upstream_claim(user))  # federation: the namespaced `upstream` claim
    return claims


def _standard_claims(user: User | None) -> dict:
    """The user's profile (`idp.iam.profiles`) and `preferred_username`, always the IAM user name (admin-set,
    unique in the account, never the user's to choose); without a name of their own, `name` is the user name."""
    if user is None:
        return {"preferred_username": "root", "name": "root"}
    return {"name": user.name, **profiles.get_profile(user), "preferred_username": user.name}


def subject_exists(account_id: str, user_pk: int | None) -> bool:
    """False once the user a grant was made for has been deleted."""
    if user_pk is None:
        return True
    return db.session.scalar(select(User.id).where(User.id == user_pk, User.account_id == account_id)) is not None


def subject_of(session) -> Subject | None:
    """The session's principal as a token subject: an IAM user or the account's root user."""
    if session.user_id is None and session.principal_arn != root_arn(session.account_id):
        return None  # a federated sign-in not linked to a local user yet
    return Subject(session.account_id, session.user_id, session.principal_arn, as_utc(session.auth_time),
                   tuple(session.amr or ()), session.acr, session.id_hash)


def subject_of_token(account_id: str, sub: str) -> Subject | None:
    """The subject an access token names (`account`, `sub`): the account's root user or a user still there."""
    if sub == root_arn(account_id):
        return Subject(account_id, None, sub)
    user = db.session.scalar(select(User).where(User.user_id == sub, User.account_id == account_id))
    return Subject(account_id, user.id, user.arn) if user is not None else None
