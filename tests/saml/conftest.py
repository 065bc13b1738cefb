"""The test IdPs (module-scoped: a key pair each) shared by the SAML tests."""
from __future__ import annotations

import pytest

from tests.federation.test_browser_round_trip import app_callback, make_app_client  # noqa: F401 (fixtures)
from tests.sts import make_role  # noqa: F401 (fixture)
from tests.sts.test_assume_role import other_account  # noqa: F401 (fixture)
from tests.support.saml_idp import SamlIdp


@pytest.fixture(scope="session")
def saml_idp() -> SamlIdp:
    return SamlIdp()


@pytest.fixture(scope="session")
def other_idp() -> SamlIdp:
    return SamlIdp(entity_id="https://other-idp.test.example/saml")
