"""OpenID Connect and OAuth 2.0 endpoints (Authlib's authorization server underneath): thin adapters over the
services of `idp.oidc`, which never import this package."""
