"""Kinds of policy documents and the rules IAM applies to each kind."""

from __future__ import annotations

import enum


class PolicyKind(enum.Enum):
    """Where a document is attached; decides its size limit and Principal rule."""

    MANAGED = "managed"
    USER_INLINE = "user-inline"
    GROUP_INLINE = "group-inline"
    ROLE_INLINE = "role-inline"
    TRUST = "trust"
    RESOURCE = "resource"
    SESSION = "session"
    BOUNDARY = "boundary"
    GUARDRAIL = "guardrail"
    RESOURCE_GUARDRAIL = "resource-guardrail"

    @property
    def size_limit(self) -> int:
        """Maximum characters, whitespace not counted, as IAM quotas say."""
        return _SIZE_LIMITS[self]

    @property
    def needs_principal(self) -> bool:
        """Resource-based documents name who they apply to; others must not."""
        return self in (PolicyKind.TRUST, PolicyKind.RESOURCE, PolicyKind.RESOURCE_GUARDRAIL)

    @property
    def allows_resource(self) -> bool:
        """A trust policy's resource is the role itself, so IAM forbids Resource."""
        return self is not PolicyKind.TRUST

    @property
    def only_assume_role_actions(self) -> bool:
        """A trust policy may name only sts:AssumeRole* and the actions that go with them."""
        return self is PolicyKind.TRUST

    @property
    def requires_current_version(self) -> bool:
        """CreatePolicy and CreatePolicyVersion refuse a document without Version 2012-10-17.

        Applied only to documents being entered (`parse_policy(..., entering=True)`):
        the same kind also parses stored documents and inputs IAM does not hold to it.
        """
        return self is PolicyKind.MANAGED


_SIZE_LIMITS = {
    PolicyKind.MANAGED: 6_144,
    PolicyKind.USER_INLINE: 2_048,
    PolicyKind.GROUP_INLINE: 5_120,
    PolicyKind.ROLE_INLINE: 10_240,
    PolicyKind.TRUST: 2_048,
    # S3 bucket policies allow 20 KB; the tightest common resource limit.
    PolicyKind.RESOURCE: 20_480,
    # Session policies share the 2,048 packed-size budget of AssumeRole.
    PolicyKind.SESSION: 2_048,
    PolicyKind.BOUNDARY: 6_144,
    # Service control policies are capped at 5,120 characters.
    PolicyKind.GUARDRAIL: 5_120,
    # Resource control policies share the SCP quota.
    PolicyKind.RESOURCE_GUARDRAIL: 5_120,
}

# JSON nesting deeper than a policy can legitimately be (document > Statement
# list > statement > Condition > operator > key > value list is 7).
MAX_NESTING_DEPTH = 8
