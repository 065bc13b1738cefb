"""The forms of the console's IAM pages, read as the Query API reads its parameters.

A form field carries the API's parameter name (`GroupName`, `Path`, `PolicyArn`, `PolicyDocument`,
`Tags.member.1.Key`, ...), so the pages read it with the API's own readers (`idp.aws.params`,
`idp.aws.iam.names`): the same length and pattern constraints, refused in AWS's words before anything is
authorized or changed. A textarea of one value per line becomes the API's `Name.member.N` list. When a refused
form's page is rendered again (`common._in_place`), `submitted` gives back what was typed.
"""
from __future__ import annotations

from flask import request

from idp.aws import params
from idp.errors import ValidationError

# Documents are kept exactly as typed, so that findings point at their text.
DOCUMENTS = frozenset({"PolicyDocument", "AssumeRolePolicyDocument", "document", "token_exchange_policy",
                       "scopes"})


def form() -> dict[str, str]:
    """The form's filled-in fields, surrounding white space removed (documents kept as typed); an empty field is
    a parameter not given."""
    return {key: value if key in DOCUMENTS else value.strip() for key, value in request.form.items()
            if value.strip()}


def text(field: str, *, max_len: int = 2048) -> str:
    """A field of a form that has no API parameter of its own, stripped ("" when absent)."""
    value = request.form.get(field, "").strip()
    if len(value) > max_len:
        raise ValidationError(f"{field} must be at most {max_len} characters.")
    return value


def lines(field: str, *, max_items: int = 100) -> list[str]:
    """A textarea of one value per line (blank lines left out)."""
    values = [line.strip() for line in request.form.get(field, "").splitlines() if line.strip()]
    if len(values) > max_items:
        raise ValidationError(f"At most {max_items} values, one per line.")
    return values


def member_list(field: str, *, min_len: int, max_len: int, max_items: int = 100) -> list[str]:
    """A textarea of one value per line, checked as the API checks its list parameter `field` (`Field.member.N`)."""
    members = {f"{field}.member.{position}": value
               for position, value in enumerate(lines(field, max_items=max_items), 1)}
    return params.member_list(members, field, min_len=min_len, max_len=max_len)


def submitted(field: str, default: str = "") -> str:
    """What the form held when a POST is answered with its page again (a refusal in place), else `default`:
    a document the person typed is shown again with the reason, not lost."""
    if request.method == "POST" and field in request.form:
        return request.form[field]
    return default
