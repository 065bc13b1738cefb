"""Typed errors of the OIDC services; each adapter renders them in its own words (`idp.oidc.endpoints.errors`
as OAuth JSON, the CLI with its flags)."""
from __future__ import annotations

import re
from typing import Mapping

from authlib.oauth2.rfc6749 import InvalidGrantError, OAuth2Error

from idp.errors import ValidationError

# RFC 6749 4.1.2.1 / 5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E.
_NOT_DESCRIBABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def described(value: object, limit: int = 200) -> str:
    """A request value as it may be quoted in an `error_description`: other characters as `?`, at most `limit`.

    Authlib refuses to build an error whose description holds anything else
    (and fails the request with a server error instead); every description
    that quotes what a client sent goes through here.
    """
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return _NOT_DESCRIBABLE.sub("?", text)


class InvalidTargetError(OAuth2Error):
    """RFC 8707 2 / RFC 8693 2.2.2: a `resource` or `audience` no token will be issued for."""

    error = "invalid_target"


class GrantRevoked(InvalidGrantError):
    """`invalid_grant` for a code, device code or refresh token presented again (RFC 9700 4.14, RFC 6749 4.1.2):
    the grants it produced are revoked and the replay audited, and that revocation outlives the refusal
    (`keeps_work`, as `idp.errors.IdpError` has it)."""

    keeps_work = True


# `{name}` in a wording: a metadata field (said in the adapter's words) or `{value}` (what was refused).
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class InvalidClientMetadata(ValidationError):
    """Client metadata that may not be registered (RFC 7591 3.2.2 `invalid_client_metadata`); `field` names it.

    The wording writes every metadata field it mentions as `{field_name}`, so each adapter names them in its
    own words (`worded`): the message says them by their RFC 7591 names, the CLI by its flags. A refused value
    is quoted as `{value}`, and never read as wording.
    """

    oauth_error = "invalid_client_metadata"

    def __init__(self, wording: str, *, field: str, value: str = ""):
        self.wording, self.field, self.value = wording, field, value
        super().__init__(self.worded({}))

    def worded(self, names: Mapping[str, str]) -> str:
        """The message, each field said as `names` says it (by its metadata name when `names` has none)."""
        return _PLACEHOLDER.sub(
            lambda match: self.value if match.group(1) == "value" else names.get(match.group(1), match.group(1)),
            self.wording)
