"""Authentication and the shared authorizer."""
