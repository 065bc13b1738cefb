"""AWS Organizations: one organization per management account, its tree of root, OUs and member accounts, and the
service and resource control policies attached along it.

`organization` creates and finds the organization and says who may manage it (`managed_by`, asked first by
every management operation); `tree` is the root, the OUs and the accounts (CreateAccount makes a real account of
this product, with `OrganizationAccountAccessRole` or the role it names); `control_policies` holds the SCPs
and RCPs and their attachments. The guardrails they make are loaded and evaluated by the authz layer
(`idp.authz.guardrails.membership`); every change here bumps the authz version of every account of the
organization, so it takes effect within `IDP_AUTHZ_REFRESH_SECONDS`.
"""
