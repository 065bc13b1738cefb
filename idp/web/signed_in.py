"""Pages for a signed-in browser only: one decorator, like flaskr's `login_required`.

`signed_in_required` runs the view only when the request's cookie names a
live session (`idp.signin.sessions.current`) and puts that session in
`g.browser_session`; otherwise the browser is sent to the login page, which
brings it back afterwards (or, for the endpoints a page calls with fetch(),
the request is refused). Stack it above `recent_auth_required`, which
replaces `g.browser_session` when it steps the session up.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request

from idp.errors import AccessDenied
from idp.signin import sessions


def this_path() -> str:
    """The path of this request, without its query."""
    return request.path


def this_page() -> str:
    """The path of this request with its query, if it has one."""
    return request.full_path.rstrip("?")


def signed_in_required(view: Callable | None = None, *, back: Callable[[], str] = this_path,
                       refuse: str | None = None) -> Callable:
    """Run `view` for a signed-in browser (its session in `g.browser_session`), else 302 to the login page.

    `back()` is where the login page sends the browser afterwards; with `refuse`, a browser that is not
    signed in gets AccessDenied(refuse) instead of a redirect (JSON endpoints).
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            session = sessions.current()
            if session is None:
                if refuse is not None:
                    raise AccessDenied(refuse)
                return sessions.login_redirect(back())
            g.browser_session = session
            return view(*args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
