"""LDAP and Active Directory upstreams: the login form's password checked by the directory.

`config` (the `"type": "ldap"` upstream file, validated into settings),
`connection` (ldap3: TLS, the service bind, one deadline per sign-in, a
breaker that skips a failed server for a while), `directory` (the user and
group searches, the bind as the user, the subject), `signin` (the password
form's hook: directory users signed in, provisioned and mapped like OIDC
upstreams' users) and `sync` (the housekeeping job that removes the
memberships a directory removed and ends the sessions of entries that are
gone). docs/ldap.md.
"""
