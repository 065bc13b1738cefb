"""STS services: temporary credentials for roles, users and web identities. No request parsing here."""
