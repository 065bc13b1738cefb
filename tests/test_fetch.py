"""idp.fetch: server-side fetches for untrusted URLs reach only global addresses, pinned, no redirects, bounded.

Against a real HTTP server on loopback: with no allowed networks (the
production default) every notation of a loopback address is refused before a
byte is sent; with loopback allowed (what the rest of the suite configures)
the same server answers, and redirects and oversized bodies still are not
followed or read.
"""
from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from idp import fetch
from idp.config import load_settings
from idp.errors import ConfigError

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
BIG = 64 * 1024


class Target:
    """A loopback HTTP server that records what reached it."""

    def __init__(self):
        self.seen: list[tuple[str, str, str]] = []  # (method, path, Host)
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                target.seen.append(("GET", self.path, self.headers.get("Host", "")))
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{target.port}/secret")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/big":
                    self._answer(b"x" * BIG)
                elif self.path == "/big-undeclared":
                    self.send_response(200)
                    self.end_headers()  # no Content-Length: the body runs until the connection closes
                    self.wfile.write(b"y" * BIG)
                else:
                    self._answer(b'{"keys": []}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                target.seen.append(("POST", self.path, self.rfile.read(length).decode()))
                self._answer(b"")

            def _answer(self, body: bytes):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def target():
    server = Target()
    yield server
    server.server.shutdown()
    server.server.server_close()


NOTATIONS = ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.1", "017700000001",
             "localhost", "[::ffff:127.0.0.1]", "0"]


@pytest.mark.parametrize("host", NOTATIONS)
def test_every_notation_of_loopback_is_refused_before_anything_is_sent(target, host):
    url = f"http://{host}:{target.port}/jwks"
    with pytest.raises(fetch.DestinationRefused) as refused:
        fetch.fetch(url, purpose="test", allowed_networks=())
    assert refused.value.url == url and refused.value.addresses
    assert refused.value.code == "DestinationRefused"
    assert target.seen == []


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "localhost"])
def test_allowed_networks_let_the_same_hosts_through(target, host):
    answer = fetch.fetch(f"http://{host}:{target.port}/jwks", purpose="test", allowed_networks=LOOPBACK)
    assert (answer.status, answer.body) == (200, b'{"keys": []}')
    assert target.seen == [("GET", "/jwks", f"{host}:{target.port}")]  # the URL's host, not the address


def test_a_trusted_url_may_name_a_private_address(target):
    answer = fetch.fetch(f"http://127.0.0.1:{target.port}/jwks", purpose="operator", trusted=True,
                         allowed_networks=())
    assert answer.status == 200


@pytest.mark.parametrize("trusted", [False, True])
def test_redirects_are_never_followed(target, trusted):
    answer = fetch.fetch(f"http://127.0.0.1:{target.port}/redirect", purpose="test", trusted=trusted,
                         allowed_networks=LOOPBACK)
    assert answer.status == 302 and answer.headers["Location"].endswith("/secret")
    assert [path for _, path, _ in target.seen] == ["/redirect"]


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
@pytest.mark.parametrize("trusted", [False, True])
def test_an_oversized_answer_is_refused(target, path, trusted):
    with pytest.raises(fetch.FetchFailed, match=f"larger than {BIG - 1} bytes") as failed:
        fetch.fetch(f"http://127.0.0.1:{target.port}{path}", purpose="test", trusted=trusted, max_bytes=BIG - 1,
                    allowed_networks=LOOPBACK)
    assert not isinstance(failed.value, fetch.DestinationRefused)
    assert len(fetch.fetch(f"http://127.0.0.1:{target.port}{path}", purpose="test", max_bytes=BIG,
                           allowed_networks=LOOPBACK).body) == BIG


def test_a_form_is_posted(target):
    answer = fetch.fetch(f"http://127.0.0.1:{target.port}/bc", purpose="test", method="POST",
                         form={"logout_token": "a b"}, allowed_networks=LOOPBACK)
    assert answer.status == 200 and target.seen == [("POST", "/bc", "logout_token=a+b")]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "http:///nohost",
                                 "http://user:pw@example.com/", "http://example.com:99999/"])
def test_only_plain_http_urls_are_fetched(url):
    with pytest.raises(fetch.DestinationRefused):
        fetch.fetch(url, purpose="test", trusted=True)


def test_a_name_that_does_not_resolve_fails_without_a_fetch():
    with pytest.raises(fetch.FetchFailed) as failed:
        fetch.fetch("http://no-such-host.invalid/", purpose="test")
    assert not isinstance(failed.value, fetch.DestinationRefused)


@pytest.mark.parametrize("address, allowed", [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("::ffff:8.8.8.8", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("255.255.255.255", False),
    ("224.0.0.1", False), ("198.18.0.1", False), ("192.0.0.170", False), ("240.0.0.1", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fd00::1", False), ("fd00:ec2::254", False),
    ("ff02::1", False), ("::ffff:127.0.0.1", False), ("::ffff:169.254.169.254", False),
    ("::127.0.0.1", False), ("64:ff9b::a9fe:a9fe", False), ("2002:7f00:1::1", False),
    ("2002:a9fe:a9fe::1", False), ("2001:0:4136:e378:8000:63bf:80ff:fffe", False), ("2001:db8::1", False),
])
def test_the_address_rule(address, allowed):
    assert fetch.address_allowed(ipaddress.ip_address(address)) is allowed


def test_allowed_networks_widen_the_rule_only_for_their_own_addresses():
    ten = (ipaddress.ip_network("10.0.0.0/8"),)
    assert fetch.address_allowed(ipaddress.ip_address("10.9.9.9"), ten)
    assert fetch.address_allowed(ipaddress.ip_address("::ffff:10.9.9.9"), ten)
    assert not fetch.address_allowed(ipaddress.ip_address("127.0.0.1"), ten)
    assert not fetch.address_allowed(ipaddress.ip_address("169.254.169.254"), ten)


@pytest.mark.parametrize("host", NOTATIONS[:-1] + ["[::1]", "169.254.169.254", "0xa9fea9fe", "2852039166",
                                                    "[fd00::1]", "10.1"])
def test_registration_refuses_literal_addresses_in_any_notation(host):
    if host == "localhost":  # a name, not a literal: registration refuses it by name, fetch by resolution
        assert fetch.literal_address(host) is None
        return
    assert fetch.literal_host_refused(host.strip("[]"))


@pytest.mark.parametrize("host", ["example.com", "8.8.8.8", "1e100.net", "[2606:4700::1111]"])
def test_registration_keeps_names_and_global_literals(host):
    assert not fetch.literal_host_refused(host.strip("[]"))


def test_the_setting_is_read_once_as_networks():
    settings = load_settings({"IDP_FETCH_ALLOWED_NETWORKS": " 10.0.0.0/8, ::1/128 ,192.0.2.7"}, environ={})
    assert settings.fetch_allowed_networks == (
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"), ipaddress.ip_network("192.0.2.7/32"))
    assert load_settings({}, environ={}).fetch_allowed_networks == ()
    with pytest.raises(ConfigError, match="IDP_FETCH_ALLOWED_NETWORKS"):
        load_settings({"IDP_FETCH_ALLOWED_NETWORKS": "10.0.0.1/8"}, environ={})


def test_the_app_setting_is_what_fetch_uses(app, target):
    url = f"http://127.0.0.1:{target.port}/jwks"
    with app.app_context():  # the suite's app allows loopback
        assert fetch.fetch(url, purpose="test").status == 200
    with pytest.raises(fetch.DestinationRefused):  # outside an app nothing but global addresses
        fetch.fetch(url, purpose="test")
    assert [method for method, _, _ in target.seen] == ["GET"]


def _self_signed(directory, name: str):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_https_is_pinned_to_the_address_but_speaks_tls_to_the_urls_name(target, tmp_path):
    import ssl

    cert_file, key_file = _self_signed(tmp_path, "localhost")
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    target.server.socket = context.wrap_socket(target.server.socket, server_side=True)
    # The connection goes to 127.0.0.1 (checked), SNI says `localhost`, and the certificate is verified
    # against the public roots for that name: a self-signed one is refused, so nothing is requested.
    with pytest.raises(fetch.FetchFailed) as failed:
        fetch.fetch(f"https://localhost:{target.port}/jwks", purpose="test", allowed_networks=LOOPBACK)
    assert not isinstance(failed.value, fetch.DestinationRefused)
    assert names == ["localhost"] and target.seen == []
