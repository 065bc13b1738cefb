"""The user life cycle beyond IAM: mailed single-use links and what they unlock.

- `links`: opaque tokens stored as SHA-256, per purpose (verification 24 h, recovery 15 min, invitation
  7 days), single use;
- `verification`: a new or changed email gets a link, the old address a notice (`email_changed`, called by
  `profile_updates`, through which every profile change goes: the IAM API, invitations, sign-up, `/account`);
- `recovery`: the forgotten-password link (no enumeration, throttled, never bypasses MFA);
- `invitations`: an administrator invites a user who sets their own password;
- `registration`: self sign-up, off by default per account; `deletion`: self-deletion, likewise;
- `settings`: the per-account switches; `notices`: the mail each flow sends (`idp.mail`'s outbox).
"""
