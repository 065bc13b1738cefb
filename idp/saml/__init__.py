"""SAML 2.0 XML: safe parsing (`xml`), IdP metadata (`metadata`) and the one response verifier (`verify`).

Infrastructure shared by IAM SAML providers (`idp.iam.saml_providers`), STS
`AssumeRoleWithSAML` (`idp.sts.saml`) and the SAML upstream sign-in
(`idp.federation.saml`); it knows nothing of any of them.
"""
