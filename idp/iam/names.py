"""IAM names, paths and ARNs: AWS's patterns (from the IAM API model) and how an ARN is built.
The Query adapters read parameters against these patterns in `idp.aws.iam.names`."""
from __future__ import annotations

NAME_PATTERN = r"[\w+=,.@-]+"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"
PATH_PREFIX_PATTERN = r"\u002F[\u0021-\u007F]*"
POLICY_ARN_PATTERN = r"arn:[\w+=/,.@-]+:iam::(aws|\d{12}):policy/[\w+=/,.@-]+"


def arn(account_id: str, kind: str, entity_path: str, entity_name: str) -> str:
    """`arn:aws:iam::<account>:<kind><path><name>`."""
    return f"arn:aws:iam::{account_id}:{kind}{entity_path}{entity_name}"
