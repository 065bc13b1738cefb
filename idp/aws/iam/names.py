"""IAM name, path and policy-ARN parameters of the Query protocol, read against AWS's patterns (`idp.iam.names`)."""
from __future__ import annotations

from idp.aws import params
from idp.aws.validation import refuse_later
from idp.errors import ValidationError
from idp.iam.names import (  # noqa: F401 (one import for the adapters)
    NAME_PATTERN,
    PATH_PATTERN,
    PATH_PREFIX_PATTERN,
    POLICY_ARN_PATTERN,
    arn,
)


def name(values: params.Params, key: str, *, max_len: int = 64, required: bool = True) -> str | None:
    """A user, group, role or policy name."""
    return params.string(values, key, required=required, min_len=1, max_len=max_len, pattern=NAME_PATTERN)


def path(values: params.Params, key: str = "Path") -> str:
    """An IAM path: `/` or `/division/team/`; default `/`."""
    return params.string(values, key, min_len=1, max_len=512, pattern=PATH_PATTERN) or "/"


def path_prefix(values: params.Params) -> str:
    """The `PathPrefix` filter of List* actions; default `/`."""
    return params.string(values, "PathPrefix", min_len=1, max_len=512, pattern=PATH_PREFIX_PATTERN) or "/"


def policy_arn(values: params.Params, key: str = "PolicyArn", *, required: bool = True) -> str | None:
    """A managed policy ARN."""
    value = params.string(values, key, required=required, min_len=20, max_len=2048)
    if value is not None and not params._compiled(POLICY_ARN_PATTERN).fullmatch(value):
        refuse_later(ValidationError(f"ARN {value} is not valid.", code="InvalidInput"))
    return value
