"""AWS-style identifiers."""
from __future__ import annotations

import re

from models.ids import access_key_id, unique_id

AWS_ID = re.compile(r"^[A-Z2-7]+$")


def test_unique_id_is_prefix_and_17_characters():
    value = unique_id("AIDA")
    assert len(value) == 21 and value.startswith("AIDA") and AWS_ID.match(value)
    assert unique_id("AROA") != unique_id("AROA")


def test_access_key_id_is_20_characters():
    assert len(access_key_id()) == 20 and access_key_id().startswith("AKIA")
    temporary = access_key_id("ASIA")
    assert len(temporary) == 20 and temporary.startswith("ASIA") and AWS_ID.match(temporary)
