"""The sign-in throttle, for the pages: the rule itself is a service (`idp.iam.throttle`), shared with STS and IAM."""
from idp.iam.throttle import (  # noqa: F401  (re-exported for the page modules)
    ADDRESS_RULE,
    FORGET_AFTER,
    MESSAGE,
    USER_RULE,
    Rule,
    address_key,
    check,
    failed,
    succeeded,
    user_key,
)
