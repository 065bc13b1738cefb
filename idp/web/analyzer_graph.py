"""`GET /analyzer/graph`: the access graph as a picture, for a signed-in administrator.

A browser view (blueprint `analyzer_pages`): the signed-in session's
principal must be allowed `access-analyzer:GetAccessGraph` by the shared
authorizer (root always is; `IAMAccessAnalyzerReadOnlyAccess`'s
`access-analyzer:Get*` covers it). Query parameters `principal` and
`resource` narrow the picture as the CLI's options do.
"""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request
from markupsafe import Markup

from idp.analyzer import graph as access_graph
from idp.analyzer.render import to_svg
from idp.authz.authorizer import authorize
from idp.errors import IdpError
from idp.signin.callers import caller_for
from idp.web.signed_in import signed_in_required

blueprint = Blueprint("analyzer_pages", __name__)


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    from idp.web.errors import render_error

    return render_error(error)


@blueprint.get("/analyzer/graph")
@signed_in_required(back=lambda: request.full_path)  # full_path as it always was (a bare "?" when no query)
def graph_page() -> Response | str:
    """Who can reach what in the signed-in account, as an SVG picture."""
    session = g.browser_session
    principal, resource = request.args.get("principal") or None, request.args.get("resource") or None
    authorize(caller_for(session), "access-analyzer:GetAccessGraph", resource or principal or "*")
    svg, graph, title = picture(session.account_id, principal, resource)
    return render_template("analyzer_graph.html", svg=svg, graph=graph, principal=principal or "",
                           resource=resource or "", title=title)


def picture(account_id: str, principal: str | None, resource: str | None) -> tuple[Markup, dict, str]:
    """The account's access graph narrowed to what `principal` reaches or who reaches `resource`: the SVG, the
    graph as JSON, and its title (also drawn by the console's analyzer page)."""
    is_role = resource is not None and ":role/" in resource
    found = access_graph.build(account_id, resource if resource and not is_role else None)
    if principal is not None:
        found = found.reachable_from(principal)
    elif resource is not None:
        found = found.reaching(resource)
    title = f"Reachable from {principal}" if principal else (f"Who reaches {resource}" if resource else
                                                               f"Account {account_id}")
    return Markup(to_svg(found, title)), found.as_json(), title
