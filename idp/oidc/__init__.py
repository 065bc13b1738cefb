"""OpenID Connect provider endpoints (Authlib underneath)."""
