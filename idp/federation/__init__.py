"""Federation: upstream OpenID Connect providers, the relying-party flow, claim mappings, linked identities.

`registry` (upstream providers and their file format), `metadata` (discovery),
`relying_party` (authorization request and callback: state, nonce, PKCE, `iss`,
ID token validation), `mapping` (allow/deny, groups, tags; pure), `identities`
(just-in-time provisioning, mapping re-applied at every login, linking) and
`views` (the `/login/upstream/...` and `/account/links` pages).
"""
