"""Flask decorators that guard a resource server's views with the shared authorizer.

`require(...)` decides in-process (the view runs in an app of
`idp.create_app(...)`); `RemoteAuthorizer(idp_url).require(...)` asks a
separate IdP over `POST /authorize`. Both read SigV4 or `Authorization: Bearer`
from `flask.request`, answer 401 JSON when the credentials do not
authenticate and 403 JSON with AWS's reason on Deny, and leave the
`AuthorizationResult` in `flask.g.authorization` for the view. A resource
server that accepts bearer tokens names itself with `audience=` (its
registered API identifier); without it no bearer token authenticates.
"""
from __future__ import annotations

import base64
import functools
from typing import Callable, Mapping
from urllib.parse import quote

import requests
from flask import Response, g, request

from idp import work
from idp.authz.context import connection_keys
from idp.authz.resource_server import AuthorizationResult
from idp.authz.responses import denied, error_response

Resolver = Callable[..., object]
View = Callable[..., object]


def _resolve(value: object, kwargs: dict) -> object:
    return value(**kwargs) if callable(value) else value


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header, if that is how the caller authenticated."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def raw_uri() -> str:
    """The path and query exactly as the client sent them (SigV4 signs those bytes)."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")


def request_context(extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """The condition keys only the resource server can know: who connected to it, and how."""
    return {**connection_keys(), **(extra or {})}


def require(action: str, *, resource: str | Resolver, context: Mapping | Resolver | None = None,
            resource_policy: str | Mapping | Resolver | None = None,
            audience: str | None = None) -> Callable[[View], View]:
    """Guard a view of an app that runs the IdP in-process; `resource` etc. may be callables of the view's kwargs."""

    def guard(view: View) -> View:
        @functools.wraps(view)
        def wrapped(**kwargs):
            from idp.authz.credentials import signed_request
            from idp.authz.resource_server import authorize_request
            from idp.errors import AuthenticationError, IdpError

            token = bearer_token()
            try:
                # The decision is its own unit of work (this app's views are not wrapped by `create_app`):
                # its audit rows and the key's last use commit before the view runs, refusals included.
                with work.unit_of_work():
                    result = authorize_request(
                        action, str(_resolve(resource, kwargs)),
                        signed=None if token else signed_request(), token=token,
                        context=request_context(_resolve(context, kwargs)),
                        resource_policy=_resolve(resource_policy, kwargs), audience=audience,
                    )
            except AuthenticationError as error:
                return error_response(401, error.code, error.message)
            except IdpError as error:
                return error_response(error.status, error.code, error.message)
            if not result.allowed:
                return denied(result)
            g.authorization = result
            return view(**kwargs)

        return wrapped

    return guard


class RemoteAuthorizer:
    """The same `require` for a resource server that runs apart from the IdP: it asks `POST /authorize`."""

    def __init__(self, idp_url: str, *, timeout: float = 5.0, session: requests.Session | None = None):
        self.endpoint = idp_url.rstrip("/") + "/authorize"
        self.timeout = timeout
        self.session = session or requests.Session()

    def question(self, action: str, resource: str, context: Mapping | None, resource_policy: object,
                 audience: str | None = None) -> dict:
        """The `POST /authorize` body for the request being served."""
        body: dict[str, object] = {"action": action, "resource": resource, "context": request_context(context)}
        token = bearer_token()
        if token:
            body["token"] = token
            if audience is not None:
                body["audience"] = audience
        else:
            payload = request.get_data(cache=True)
            body["request"] = {
                "method": request.method, "url": f"{request.scheme}://{request.host}{raw_uri()}",
                "headers": [[name, value] for name, value in request.headers.items()],
                "body": base64.b64encode(payload).decode("ascii"),
            }
        if resource_policy is not None:
            body["resource_policy"] = resource_policy
        return body

    def ask(self, body: dict) -> AuthorizationResult | Response:
        """Send the question; a result, or the error response to give the client (fail closed)."""
        try:
            answer = self.session.post(self.endpoint, json=body, timeout=self.timeout)
            document = answer.json()
        except (requests.RequestException, ValueError):
            return error_response(503, "AuthorizerUnavailable", "The authorizer could not be reached.")
        if answer.status_code == 200 and document.get("decision") in ("Allow", "Deny"):
            return AuthorizationResult(document["decision"], document.get("principal") or {},
                                       document.get("reason", ""), document.get("encoded_message"))
        if answer.status_code in (400, 401):
            return error_response(answer.status_code, document.get("error", "InvalidRequest"),
                                  document.get("message", ""))
        return error_response(503, "AuthorizerUnavailable", f"The authorizer answered HTTP {answer.status_code}.")

    def require(self, action: str, *, resource: str | Resolver, context: Mapping | Resolver | None = None,
                resource_policy: str | Mapping | Resolver | None = None,
                audience: str | None = None) -> Callable[[View], View]:
        """Guard a view: ask the IdP; 401/403 JSON unless it answers Allow."""

        def guard(view: View) -> View:
            @functools.wraps(view)
            def wrapped(**kwargs):
                body = self.question(action, str(_resolve(resource, kwargs)), _resolve(context, kwargs),
                                     _resolve(resource_policy, kwargs), audience)
                result = self.ask(body)
                if isinstance(result, Response):
                    return result
                if not result.allowed:
                    return denied(result)
                g.authorization = result
                return view(**kwargs)

            return wrapped

        return guard
