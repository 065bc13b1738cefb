"""SigV4 verification throughput on one core, beside botocore's signing and the HMAC floor.

Run from the repository root: `.venv/bin/python bench/sigv4_verify.py`.

A SigV4 signature costs at least five HMAC-SHA256 (four to derive the signing
key, one to sign); with the signing-key cache warm, verification needs one
HMAC plus two SHA-256 (body, canonical request) and the string building.
All three are measured in the same run so the ratios mean something on any machine.
"""
from __future__ import annotations

import hmac
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from idp.authz.sigv4 import SignedRequest, verify  # noqa: E402

KEY, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BODY = b"Action=CreateRole&Version=2010-05-08&RoleName=deploy-bot&AssumeRolePolicyDocument=%7B%7D&Path=%2Fci%2F"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
SERVICE = "iam"  # the service the verified requests address


def per_second(action, seconds: float = 1.0) -> float:
    """Calls per second of `action`, best of three runs of about `seconds` each."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        deadline = start + seconds
        while True:
            for _ in range(200):
                action()
            count += 200
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def botocore_sign() -> AWSRequest:
    request = AWSRequest(method="POST", url="http://localhost:5000/", data=BODY, headers=dict(FORM))
    SigV4Auth(Credentials(KEY, SECRET), "iam", "us-east-1").add_auth(request)
    return request


def five_hmacs() -> None:
    key = b"AWS4" + SECRET.encode()
    for message in (b"20261129", b"us-east-1", b"iam", b"aws4_request", b"x" * 200):
        key = hmac.digest(key, message, "sha256")


def main() -> None:
    signed = botocore_sign().prepare()
    parts = urlsplit(signed.url)
    headers = [("Host", parts.netloc), *signed.headers.items()]
    request = SignedRequest.from_parts("POST", parts.path, parts.query, headers, signed.body)
    stamp = dict(request.headers)["x-amz-date"]
    now = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    secrets = {KEY: SECRET}
    verify(request, now, secrets.get, SERVICE)  # warm the signing-key cache

    verify_rate = per_second(lambda: verify(request, now, secrets.get, SERVICE))
    sign_rate = per_second(botocore_sign)
    hmac_rate = per_second(five_hmacs)

    print(f"Python {sys.version.split()[0]}, one core, body {len(BODY)} bytes, signing-key cache warm")
    print(f"{'verify (idp.authz.sigv4)':<34}{verify_rate:>12,.0f} /s  {1e6 / verify_rate:8.1f} us")
    print(f"{'sign (botocore SigV4Auth)':<34}{sign_rate:>12,.0f} /s  {1e6 / sign_rate:8.1f} us")
    print(f"{'5 x HMAC-SHA256 (SigV4 floor)':<34}{hmac_rate:>12,.0f} /s  {1e6 / hmac_rate:8.1f} us")
    print(f"verify / botocore sign speed: {verify_rate / sign_rate:.2f}x")
    print(f"verify cost / 5-HMAC floor:   {hmac_rate / verify_rate:.2f}x")


if __name__ == "__main__":
    main()
