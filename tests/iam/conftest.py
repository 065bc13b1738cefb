"""IAM tests use the AWS client fixtures of `tests.support.aws_clients` (loaded for the whole suite)."""
from tests.support.aws_clients import NO_RETRIES, client_for  # noqa: F401  (imported by test modules)
