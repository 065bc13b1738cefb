"""The `saml` blueprint: our SP metadata and the assertion consumer of each SAML upstream.

`GET /login/upstream/<name>/saml/metadata` serves the signed SP metadata;
`POST /login/upstream/<name>/saml/acs` (HTTP-POST binding) verifies the IdP's
response and signs the user in exactly as an OIDC upstream's callback does
(`idp.federation.identities`: JIT provisioning, mapping, linking). The ACS is
posted from the IdP's origin, so it carries no CSRF token and is exempt: the
response must answer the AuthnRequest kept in this browser's session
(InResponseTo), which is what ties it to the browser. A cross-site POST does
not carry our SameSite=Lax session cookie, so when it arrives without one the
ACS answers a page that posts the same form again from our own origin (then
the cookie comes along).
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from idp.errors import IdpError, NotFound
from idp.federation import registry
from idp.federation.saml import sp
from idp.web.errors import render_error
from idp.web.federation import failures_audited, finish_sign_in
from idp.web.security import csrf

blueprint = Blueprint("saml", __name__)
RELAYED = "relayed"


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    return render_error(error)


def _saml_upstream(name: str):
    upstream = registry.find(name)
    if upstream is None or not upstream.enabled or upstream.type != "saml":
        raise NotFound(f"There is no SAML sign-in provider named {name}.")
    return upstream


@blueprint.get("/login/upstream/<name>/saml/metadata")
def metadata(name: str) -> Response:
    """Our signed SP metadata for this upstream."""
    return Response(sp.metadata_xml(_saml_upstream(name)), mimetype="application/samlmetadata+xml")


@blueprint.post("/login/upstream/<name>/saml/acs")
@csrf.exempt
@failures_audited
def acs(name: str) -> Response:
    """Verify the IdP's response, then sign in (provisioning on first use) or link, as an OIDC callback does."""
    upstream = _saml_upstream(name)
    saml_response, relay_state = request.form.get("SAMLResponse", ""), request.form.get("RelayState")
    if not sp.has_pending(upstream) and RELAYED not in request.form:
        params = {"SAMLResponse": saml_response, RELAYED: "1"}
        if relay_state is not None:
            params["RelayState"] = relay_state
        return Response(render_template("oidc_form_post.html", action=request.path, params=params),
                        mimetype="text/html")
    identity, pending = sp.finish(upstream, saml_response, relay_state)
    return finish_sign_in(upstream, identity, pending)
