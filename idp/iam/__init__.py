"""IAM services: accounts, users, groups, roles, policies, keys. No request parsing here."""
