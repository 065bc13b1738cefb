"""Resources AWS keeps for itself: no policy lets a caller change them.

- AWS managed policies (`arn:aws:iam::aws:policy/...`): "You can't change the
  permissions in AWS managed policies" (IAM User Guide, "AWS managed
  policies"); IAM refuses every change whatever the caller's policies allow.
- Service-linked roles (path `/aws-service-role/`): "Only the service that
  depends on the service-linked role can modify or delete the role"
  (IAM API Reference, UnmodifiableEntity; User Guide, "Using service-linked
  roles"). Their description stays editable ("You can edit the description
  of any role", "Update a service-linked role"), so UpdateRole and
  UpdateRoleDescription are not listed for them.
- Roles under `/aws-reserved/` (IAM Identity Center's permission-set roles,
  `/aws-reserved/sso.amazonaws.com/`): "Cannot perform the operation on the
  protected role ... this role is only modifiable by AWS" for every change.

iam:PassRole is not listed: AWS lets callers pass service-linked roles (EC2
Auto Scaling's custom-suffix roles need iam:PassRole), and passing is no change.
"""

from __future__ import annotations

import re

_POLICY_CHANGES = frozenset({
    "iam:createpolicy", "iam:deletepolicy", "iam:createpolicyversion", "iam:deletepolicyversion",
    "iam:setdefaultpolicyversion", "iam:tagpolicy", "iam:untagpolicy",
})  # fmt: skip
_ROLE_CHANGES = frozenset({
    "iam:deleterole", "iam:updateassumerolepolicy", "iam:attachrolepolicy", "iam:detachrolepolicy",
    "iam:putrolepolicy", "iam:deleterolepolicy", "iam:putrolepermissionsboundary",
    "iam:deleterolepermissionsboundary",
})  # fmt: skip
# Tagging a service-linked role is allowed (IAM lists no UnmodifiableEntity for TagRole); /aws-reserved/ roles refuse it.
_ROLE_TAGS = frozenset({"iam:tagrole", "iam:untagrole"})
_ROLE_DESCRIPTION = frozenset({"iam:updaterole", "iam:updateroledescription"})

# (actions, resource ARN pattern, why): the table of protected resources.
PROTECTED: tuple[tuple[frozenset[str], re.Pattern[str], str], ...] = (
    (_POLICY_CHANGES, re.compile(r"arn:aws[a-z-]*:iam::aws:policy/.*", re.DOTALL),
     "AWS managed policies cannot be changed"),
    (_ROLE_CHANGES, re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/aws-service-role/.*", re.DOTALL),
     "service-linked roles can be changed only by the service that depends on them"),
    (_ROLE_CHANGES | _ROLE_DESCRIPTION | _ROLE_TAGS, re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/aws-reserved/.*", re.DOTALL),
     "roles under the path /aws-reserved/ are only modifiable by AWS"),
)
_ACTIONS = frozenset().union(*(actions for actions, _, _ in PROTECTED))


def protection(action_lower: str, resource: str) -> str | None:
    """Why AWS forbids this action on this resource whatever policies say, or None."""
    if action_lower not in _ACTIONS:
        return None
    for actions, pattern, why in PROTECTED:
        if action_lower in actions and pattern.fullmatch(resource):
            return why
    return None
