"""Result shapes of IAM entities, as the IAM API model names their members."""
from __future__ import annotations

from idp.aws.params import keyset_marker, keyset_position, paginate, pagination


def boundary_shape(policy) -> dict | None:
    if policy is None:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": policy.arn}


def user_shape(user, *, full: bool = True) -> dict:
    """The `User` structure; GetUser/CreateUser also carry the boundary and tags."""
    shape = {
        "Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn,
        "CreateDate": user.created_at, "PasswordLastUsed": user.password_last_used,
    }
    if full:
        shape["PermissionsBoundary"] = boundary_shape(user.boundary_policy)
        shape["Tags"] = user.tags or None
    return shape


def page(values, items: list, member: str, shape, key=None) -> dict:
    """A List* result: the members, IsTruncated and, when truncated, the next Marker."""
    marker, max_items = pagination(values)
    chunk, truncated, next_marker = paginate(items, marker, max_items, key=key)
    result = {member: [shape(item) for item in chunk], "IsTruncated": truncated}
    if truncated:
        result["Marker"] = next_marker
    return result


def keyset_page(values, fetch, member: str, shape) -> dict:
    """A List* result read one page at a time from the database: `fetch(after, limit)` returns up to `limit` items
    by lower-cased name after `after`; one more than MaxItems is read to know whether the list is truncated. The
    Marker has `page`'s form (the last name returned), so a boundary survives inserts and deletes."""
    marker, max_items = pagination(values)
    rows = fetch(keyset_position(marker), max_items + 1)
    chunk, truncated = rows[:max_items], len(rows) > max_items
    result = {member: [shape(item) for item in chunk], "IsTruncated": truncated}
    if truncated:
        result["Marker"] = keyset_marker(chunk[-1].name_lower)
    return result
