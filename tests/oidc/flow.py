"""The browser side of the code flow over real HTTP (requests), for tests: sign in, consent, collect the code."""
from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.support.signin import DEFAULT_PASSWORD, http_login

REDIRECT_URI = "http://127.0.0.1:8765/callback"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Browser:
    """A signed-in (or not yet) browser: a requests session that does not follow redirects."""

    base_url: str
    account_id: str
    username: str
    password: str = DEFAULT_PASSWORD
    http: requests.Session = field(default_factory=requests.Session)

    def sign_in(self, next_url: str | None = None) -> requests.Response:
        response = http_login(self.http, self.base_url, self.account_id, self.username, self.password,
                              next_url=next_url)
        assert response.status_code in (302, 303), response.text[:500]
        return response

    def get(self, path_or_url: str, **params) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        return self.http.get(url, params=params or None, allow_redirects=False, timeout=30)

    def authorize(self, client_id: str, *, redirect_uri: str = REDIRECT_URI, scope: str = "openid profile email",
                  challenge: str | None = None, consent: str | None = "allow", **extra) -> requests.Response:
        """Run /oauth2/authorize, signing in and consenting when asked; the final response (redirect or page)."""
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
                  "state": "st-" + secrets.token_urlsafe(6), **extra}
        if challenge is not None:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params = {k: v for k, v in params.items() if v is not None}
        response = self.get("/oauth2/authorize?" + urlencode(params))
        for _ in range(4):
            location = response.headers.get("Location", "")
            if response.status_code == 302 and location.startswith("/login"):
                next_url = parse_qs(urlsplit(location).query)["next"][0]
                signed_in = self.sign_in(next_url)
                response = self.get(signed_in.headers["Location"])
            elif response.status_code == 200 and 'id="consent-title"' in response.text and consent:
                response = self.answer_consent(response.text, consent)
            else:
                break
        return response

    def answer_consent(self, page: str, decision: str) -> requests.Response:
        fields = [(html.unescape(k), html.unescape(v)) for k, v in HIDDEN.findall(page)]
        fields.append(("decision", decision))
        return self.http.post(f"{self.base_url}/consent", data=fields, allow_redirects=False, timeout=30)


def callback_params(response: requests.Response) -> dict[str, str]:
    """The query parameters of a redirect to the client."""
    assert response.status_code == 302, (response.status_code, response.text[:500])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI.split("?")[0]) or "://" in location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
