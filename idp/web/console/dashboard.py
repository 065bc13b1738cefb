"""`/console/`: the account at a glance: id and alias, GetAccountSummary's figures, security recommendations.

Each part is the IAM action the API would ask for it: `iam:ListAccountAliases` and `iam:GetAccountSummary` on
`*`, and the recommendations (`idp.analyzer.account_checks`, which read every user, role and policy) as
`iam:GetAccountAuthorizationDetails` on `*`. A part the principal may not read shows the reason instead; a
principal allowed nothing still gets the page, with a link to its own account page.
"""
from __future__ import annotations

from urllib.parse import urlencode

from idp.analyzer import account_checks
from idp.iam import account_settings
from idp.web.console import blueprint
from idp.web.console.common import check, console_principal, render

FINDINGS_ACTION = "iam:GetAccountAuthorizationDetails"
# The console page that fixes a finding, by the kind of resource its ARN names; the root user's on its own pages.
FIX_PAGES = {"user": "/console/users/", "role": "/console/roles/", "policy": "/console/policies/"}
ROOT_FIX_PAGES = {"root-access-keys": "/account", "root-without-mfa": "/account/mfa",
                  "root-used-recently": "/console/users"}


def fix_link(check_id: str, resource: str) -> str:
    """The page where the finding `check_id` about `resource` (an IAM ARN) is fixed."""
    if check_id in ROOT_FIX_PAGES:
        return ROOT_FIX_PAGES[check_id]
    kind, _, rest = resource.split(":", 5)[-1].partition("/")
    page = FIX_PAGES.get(kind)
    if page is None:
        return "/console/"
    if kind == "policy":
        return f"{page}?{urlencode({'arn': resource})}"
    return page + rest.rsplit("/", 1)[-1]


def _section(action: str, read):
    """(value, None) when `action` on `*` is allowed, else (None, AWS's reason)."""
    reason = check(action, "*")
    return (None, reason) if reason is not None else (read(), None)


@blueprint.get("/")
def dashboard() -> str:
    """The dashboard."""
    account_id = console_principal().account_id
    aliases, aliases_refused = _section("iam:ListAccountAliases", lambda: account_settings.aliases(account_id))
    summary, summary_refused = _section("iam:GetAccountSummary", lambda: account_settings.summary(account_id))
    findings, findings_refused = _section(FINDINGS_ACTION, lambda: account_checks.check_account(account_id))
    return render("console/dashboard.html", title="Dashboard", account_id=account_id, aliases=aliases,
                  aliases_refused=aliases_refused, summary=summary, summary_refused=summary_refused,
                  findings=findings, findings_refused=findings_refused, findings_action=FINDINGS_ACTION,
                  fix_link=fix_link)
