"""The product as a SAML 2.0 service provider for `"type": "saml"` upstreams.

`config` validates the upstream document into its stored settings; `sp`
builds our side (entity id, signed SP metadata, the signed AuthnRequest) and
finishes the sign-in at the ACS with the one verifier, `idp.saml.verify`.
"""
