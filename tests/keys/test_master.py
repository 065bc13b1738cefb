"""The master key seals secrets at rest and is refused clearly when wrong."""
import os
import stat

import pytest

from idp.errors import ConfigError
from idp.keys.master import MasterKey, load_master_key


def test_generated_once_with_owner_only_permissions(tmp_path):
    first = load_master_key(None, tmp_path)
    second = load_master_key(None, tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "master.key").st_mode)
    assert mode == 0o600
    sealed = first.seal(b"secret", "purpose")
    assert second.open(sealed, "purpose") == b"secret"


def test_sealed_secret_is_bound_to_its_purpose_and_key(tmp_path):
    key = MasterKey(b"a" * 32)
    sealed = key.seal(b"secret", "access-key:AKIA1")
    assert b"secret" not in sealed
    with pytest.raises(ConfigError, match="does not decrypt"):
        key.open(sealed, "access-key:AKIA2")
    with pytest.raises(ConfigError, match="does not decrypt"):
        MasterKey(b"b" * 32).open(sealed, "access-key:AKIA1")


def test_wrong_length_key_file_is_refused(tmp_path):
    (tmp_path / "master.key").write_text("c2hvcnQ=\n")
    with pytest.raises(ConfigError, match="must hold 32 bytes"):
        load_master_key(None, tmp_path)


def test_derived_keys_differ_by_purpose_and_agree_across_instances():
    one, two = MasterKey(b"a" * 32), MasterKey(b"a" * 32)
    assert one.derive("x") == two.derive("x") != one.derive("y")
