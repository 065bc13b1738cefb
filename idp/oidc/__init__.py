"""OpenID Connect provider services: clients, APIs, grants, consent, token minting, logout, exchange.
The HTTP endpoints that call them live in `idp.oidc.endpoints`."""
