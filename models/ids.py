"""AWS-style identifiers: unique ids (AIDA..., AROA...) and access key ids."""
from __future__ import annotations

import secrets

# AWS unique ids and access key ids use base32's alphabet: A-Z and 2-7.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

USER_PREFIX = "AIDA"
ROLE_PREFIX = "AROA"
GROUP_PREFIX = "AGPA"
POLICY_PREFIX = "ANPA"
ACCESS_KEY_PREFIX = "AKIA"
TEMPORARY_ACCESS_KEY_PREFIX = "ASIA"


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def unique_id(prefix: str) -> str:
    """Return `prefix` followed by 17 random characters (AIDA... is 21 long)."""
    return prefix + _random_chars(17)


def access_key_id(prefix: str = ACCESS_KEY_PREFIX) -> str:
    """Return a 20-character access key id starting with `prefix` (AKIA/ASIA)."""
    return prefix + _random_chars(20 - len(prefix))
