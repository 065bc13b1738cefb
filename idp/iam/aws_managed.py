"""AWS-managed policies every account sees (`arn:aws:iam::aws:policy/NAME`), seeded at bootstrap.

The documents are AWS's own, with ReadOnlyAccess cut down to the services this
identity provider serves (IAM, STS, Access Analyzer). Seeding is idempotent:
a missing policy is created, a changed document replaces the default version.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select

from idp import clock
from idp.iam.policies import managed_document
from models import db
from models.ids import POLICY_PREFIX
from models.policy import ManagedPolicy, PolicyVersion


@dataclass(frozen=True)
class AwsManagedPolicy:
    """One AWS-managed policy as AWS publishes it."""

    name: str
    description: str
    statements: tuple[dict, ...]

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy/{self.name}"

    @property
    def document(self) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": list(self.statements)}, indent=4)

    @property
    def policy_id(self) -> str:
        # Every instance and every database must agree on the id: derive it from the name.
        digest = base64.b32encode(hashlib.sha256(f"aws-managed:{self.name}".encode()).digest()).decode()
        return POLICY_PREFIX + digest[:17]


def _allow(actions: str | list[str], resources: str | list[str] = "*") -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


AWS_MANAGED_POLICIES = (
    AwsManagedPolicy(
        "AdministratorAccess", "Provides full access to AWS services and resources.", (_allow("*"),),
    ),
    AwsManagedPolicy(
        "PowerUserAccess",
        "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
        (
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            _allow([
                "account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions",
                "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                "organizations:DescribeOrganization",
            ]),
        ),
    ),
    AwsManagedPolicy(
        "ReadOnlyAccess", "Provides read-only access to AWS services and resources.",
        (_allow([
            "access-analyzer:Get*", "access-analyzer:List*", "access-analyzer:ValidatePolicy",
            "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*", "sts:Get*",
        ]),),
    ),
    AwsManagedPolicy(
        "IAMFullAccess", "Provides full access to IAM via the AWS Management Console.",
        (_allow([
            "iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization",
            "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy", "organizations:ListChildren",
            "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:ListRoots",
            "organizations:ListPolicies", "organizations:ListTargetsForPolicy",
        ]),),
    ),
    AwsManagedPolicy(
        "IAMReadOnlyAccess", "Provides read only access to IAM via the AWS Management Console.",
        (_allow([
            "iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails", "iam:Get*", "iam:List*",
            "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy",
        ]),),
    ),
    AwsManagedPolicy(
        "IAMUserChangePassword", "Provides the ability for an IAM user to change their own password.",
        (
            _allow(["iam:ChangePassword"], ["arn:aws:iam::*:user/${aws:username}"]),
            _allow(["iam:GetAccountPasswordPolicy"]),
        ),
    ),
)


def _ensure(seed: AwsManagedPolicy) -> None:
    document = managed_document(seed.document, seed.arn)
    policy = db.session.scalar(select(ManagedPolicy).where(ManagedPolicy.arn == seed.arn))
    now = clock.now()
    if policy is None:
        policy = ManagedPolicy(
            account_id=None, name=seed.name, path="/", policy_id=seed.policy_id, arn=seed.arn,
            description=seed.description, default_version_id="v1", is_attachable=True, tags=[],
            created_at=now, updated_at=now,
        )
        policy.versions.append(PolicyVersion(version_id="v1", document=document, is_default=True, created_at=now))
        db.session.add(policy)
        return
    default = policy.default_version
    if default is not None and default.document != document:
        default.document = document
        policy.updated_at = now


def ensure_aws_managed_policies() -> None:
    """Create (or bring up to date) the AWS-managed policies, in the caller's unit of work; idempotent."""
    for seed in AWS_MANAGED_POLICIES:
        _ensure(seed)
