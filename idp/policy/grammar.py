"""The strings IAM accepts in Action/NotAction and Resource/NotResource, refused in IAM's words.

References: IAM User Guide, "IAM JSON policy elements: Action" and
"Resource", "Grammar of the IAM JSON policy language", the IAM resource
types of the Service Authorization Reference, and what CreatePolicy answers
(IAM checks strings loosely: `"s3: GetObject"`, `"iam:"` and `"iam:Get,List"`
are stored, and simply match no request).
"""

from __future__ import annotations

import re

from .errors import NO_VENDOR, ONE_COLON, TRUST_ACTIONS, Problems, Stage
from .patterns import glob_source, has_wildcard

# A service prefix ("vendor") IAM accepts: letters, digits, `-` and `.` (and the
# wildcards, which the engine has always read as globs: `s3*:Get*`).
_VENDOR = re.compile(r"[A-Za-z0-9.*?-]*")

# The resource types an IAM ARN may name (IAM's own refusal lists them).
IAM_RESOURCE_TYPES = (
    "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/",
    "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/",
)  # fmt: skip
_IAM_PATH = 'IAM resource path must either be "*" or start with ' + ", ".join(IAM_RESOURCE_TYPES) + "."

# What a role trust policy may name (IAM User Guide, "Role trust policies";
# sts:SetContext for trusted identity propagation).
TRUST_POLICY_ACTIONS = frozenset({
    "sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml",
    "sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
})  # fmt: skip
# Every STS action (Service Authorization Reference), to tell which ones a wildcard covers.
_STS_ACTIONS = TRUST_POLICY_ACTIONS | {
    "sts:assumeroot", "sts:decodeauthorizationmessage", "sts:getaccesskeyinfo", "sts:getcalleridentity",
    "sts:getfederationtoken", "sts:getservicebearertoken", "sts:getsessiontoken", "sts:getwebidentitytoken",
}  # fmt: skip


def check_action(pattern: str, path: str, problems: Problems) -> None:
    """Note IAM's refusal of one Action/NotAction string, if it refuses it."""
    if pattern == "*":
        return
    parts = pattern.split(":")
    if len(parts) == 1:
        problems.note(NO_VENDOR, path, f"{pattern!r} has no service prefix", Stage.ACTION_FORMAT)
    elif len(parts) > 2:
        problems.note(ONE_COLON, path, f"{pattern!r}", Stage.ACTION_FORMAT)
    elif not _VENDOR.fullmatch(parts[0]):
        problems.note(f"Vendor {parts[0]} is not valid", path, f"{pattern!r}", Stage.ACTION_FORMAT)


def matches_nothing(pattern: str) -> bool:
    """An action string IAM stores but no request can match: empty service or name, whitespace or a comma."""
    if pattern == "*":
        return False
    vendor, _, name = pattern.partition(":")
    return not vendor or not name or any(ch.isspace() or ch == "," for ch in pattern)


def check_trust_action(pattern: str, path: str, problems: Problems) -> None:
    """Note IAM's refusal of an action a role trust policy may not name.

    A wildcard passes only when every STS action it covers may be named
    (`sts:AssumeRole*` does; `sts:*` and `*` do not).
    """
    lowered = pattern.lower()
    if not has_wildcard(lowered):
        allowed = lowered in TRUST_POLICY_ACTIONS
    else:
        vendor = lowered.partition(":")[0]
        covered = {action for action in _STS_ACTIONS if re.fullmatch(glob_source(lowered), action, re.DOTALL)}
        allowed = vendor == "sts" and bool(covered) and covered <= TRUST_POLICY_ACTIONS
    if not allowed:
        problems.note(TRUST_ACTIONS, path, f"{pattern!r} is not an sts:AssumeRole* action")


def check_resource(resource: str, path: str, problems: Problems) -> None:
    """Note IAM's refusal of one Resource/NotResource string, if it refuses it."""
    if resource == "*":
        return
    # IAM reads the first segment without checking it says "arn".
    _, colon, rest = resource.partition(":")
    if not colon:
        problems.note(f'Resource {resource} must be in ARN format or "*".', path, stage=Stage.RESOURCE_FORMAT)
        return
    partition, colon, rest = rest.partition(":")
    if partition not in ("aws", "*"):
        problems.note(f'Partition "{partition}" is not valid for resource "{_spelled_out(partition, colon, rest)}".',
                      path, "this IdP's accounts are in partition aws", Stage.RESOURCE_FORMAT)
        return
    if not colon:
        problems.note("Resource vendor must be fully qualified and cannot contain regexes.", path,
                      f"{resource!r} has no service", Stage.RESOURCE_FORMAT)
        return
    if not (resource.count(":") >= 5 or "::" not in resource) or not resource.split(":")[2]:
        problems.note("The policy failed legacy parsing", path, f"{resource!r} is not an ARN IAM can read", Stage.LEGACY)
        return
    service, _, rest = rest.partition(":")
    region, _, rest = rest.partition(":")
    account, _, name = rest.partition(":")
    if service == "iam" and (region or resource.count(":") < 3):
        problems.note(f"IAM resource {resource} cannot contain region information.", path, stage=Stage.RESOURCE_FORMAT)
    elif service == "s3" and region and not account:
        # Buckets and objects carry neither region nor account; access points and jobs carry both.
        problems.note(f"Resource {resource} can not contain region information.", path, stage=Stage.RESOURCE_FORMAT)
    elif service == "iam" and name != "*" and not name.startswith(IAM_RESOURCE_TYPES):
        problems.note(_IAM_PATH, path, f"{resource!r}", Stage.RESOURCE_FORMAT)


def _spelled_out(partition: str, colon: str, rest: str) -> str:
    # IAM's refusal names the ARN with its missing segments as `*`.
    segments = rest.split(":") if colon else [""]
    filled = [segments[0] if segments[0] or len(segments) > 1 else "*"]
    filled += [segments[i] if len(segments) > i else "*" for i in (1, 2)]
    filled.append(":".join(segments[3:]) if len(segments) > 3 else "*")
    return ":".join(["arn", partition, *filled])
