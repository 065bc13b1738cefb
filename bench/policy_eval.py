"""Decisions per second of the policy engine on one core, against HMAC-SHA256 of 1 KB.

Run from the repo root: `.venv/bin/python bench/policy_eval.py`. Not a test:
it prints numbers and ratios measured in the same run, and asserts nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from idp.policy import (  # noqa: E402
    PolicyKind,
    PolicySet,
    RequestContext,
    RequestPrincipal,
    evaluate,
    parse_policy,
)

ACCOUNT = "123456789012"
SERVICES = ["s3", "ec2", "iam", "sts", "dynamodb", "lambda", "sqs", "sns", "kms", "logs"]
ALICE = RequestPrincipal.of(
    f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "User", user_id="AIDAEXAMPLE000000001", tags={"team": "data"}
)
CONTEXT = {
    "aws:SourceIp": "10.1.2.3",
    "aws:SecureTransport": "true",
    "aws:MultiFactorAuthPresent": "true",
    "aws:CurrentTime": "2024-05-01T12:00:00Z",
    "aws:RequestedRegion": "eu-west-1",
}


def _statement(service: str, number: int) -> dict[str, object]:
    """A statement shaped like real ones: wildcards, ARNs, a condition or two."""
    deny = number % 7 == 6
    statement: dict[str, object] = {
        "Sid": f"{service.title()}{number}",
        "Effect": "Deny" if deny else "Allow",
        "Action": [f"{service}:Delete*"] if deny else [f"{service}:Get*", f"{service}:List*", f"{service}:Describe{number}*"],
        "Resource": [f"arn:aws:{service}:*:{ACCOUNT}:thing/{number}/*", f"arn:aws:{service}:*:{ACCOUNT}:${{aws:username}}/*"],
    }
    if number % 2 == 0:
        statement["Condition"] = {
            "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]},
            "Bool": {"aws:SecureTransport": "true"},
        }
    elif number % 3 == 0:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": ["data", "ml"]}}
    if service == "s3":
        statement["Resource"] = ["arn:aws:s3:::data-*/*", "arn:aws:s3:::data-*", f"arn:aws:s3:::home/${{aws:username}}/{number}/*"]
    return statement


def _policy(statements: list[dict[str, object]], name: str) -> object:
    return parse_policy({"Version": "2012-10-17", "Statement": statements}, PolicyKind.MANAGED, f"arn:aws:iam::{ACCOUNT}:policy/{name}")


def _requests() -> list[RequestContext]:
    return [
        RequestContext(ALICE, "s3:GetObject", "arn:aws:s3:::data-lake/raw/2024/file.parquet", CONTEXT),
        RequestContext(ALICE, "s3:ListBucket", "arn:aws:s3:::data-lake", CONTEXT),
        RequestContext(ALICE, "s3:PutObject", "arn:aws:s3:::data-lake/x", CONTEXT),
        RequestContext(ALICE, "dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:alice/table", CONTEXT),
        RequestContext(ALICE, "ec2:GetConsoleOutput", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:alice/i-1", CONTEXT),
        RequestContext(ALICE, "kms:Decrypt", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1", CONTEXT),
        RequestContext(ALICE, "sqs:DeleteQueue", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:thing/6/q", CONTEXT),
    ]


def one_statement() -> tuple[PolicySet, list[RequestContext]]:
    """The floor: one Allow statement."""
    policy = _policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-lake/*"}], "One")
    return PolicySet(identity=[policy]), _requests()[:1]


def realistic() -> tuple[PolicySet, list[RequestContext]]:
    """10 policies x 10 statements over 10 services, wildcards and conditions."""
    policies = [
        _policy([_statement(SERVICES[(p + s) % 10], p * 10 + s) for s in range(10)], f"Team{p}") for p in range(10)
    ]
    return PolicySet(identity=policies), _requests()


def thousand_others() -> tuple[PolicySet, list[RequestContext]]:
    """1,000 statements of services the requests never name, plus 10 relevant."""
    others = [f"other{n}" for n in range(100)]
    policies = [
        _policy([_statement(others[(p * 10 + s) % 100], s) for s in range(10)], f"Other{p}") for p in range(100)
    ]
    relevant = _policy([_statement(SERVICES[s], s) for s in range(10)], "Relevant")
    return PolicySet(identity=[*policies, relevant]), _requests()


def _rate(run: Callable[[], None], per_call: int, seconds: float = 1.0) -> float:
    """Calls per second of `run`, timed for about `seconds`."""
    run()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        run()
        calls += 1
    return calls * per_call / elapsed


def _decisions(case: Callable[[], tuple[PolicySet, list[RequestContext]]]) -> float:
    policies, requests = case()
    # The mix of outcomes is part of the case: Allow, implicit and explicit deny.
    batch = requests * (600 // len(requests))

    def run() -> None:
        for request in batch:
            evaluate(request, policies)

    return _rate(run, len(batch))


def main() -> None:
    """Print decisions/s per case and the ratio to an HMAC-SHA256 of 1 KB."""
    key, message = b"k" * 32, b"m" * 1024

    def run_hmac() -> None:
        for _ in range(1000):
            hmac.new(key, message, hashlib.sha256).digest()

    reference = _rate(run_hmac, 1000)
    print(f"{'reference: HMAC-SHA256 of 1 KB':44} {reference:12,.0f} /s")
    rates = {}
    for name, case in (
        ("one statement", one_statement),
        ("realistic (10 policies x 10 statements)", realistic),
        ("1,000 other-service + 10 relevant", thousand_others),
    ):
        rates[name] = rate = _decisions(case)
        print(f"{name:44} {rate:12,.0f} decisions/s  ({rate / reference:.2f}x HMAC)")
    ratio = rates["realistic (10 policies x 10 statements)"] / rates["1,000 other-service + 10 relevant"]
    print(f"1,000-statement case costs {ratio:.2f}x the realistic case per decision (goal <= 2.00)")
    print("goal for the realistic case: >= 50,000 decisions/s")


if __name__ == "__main__":
    main()
