"""Browser-facing pages: login, MFA, consent, account self-service."""
