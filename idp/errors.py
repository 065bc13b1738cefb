"""The one error hierarchy of the identity provider.

Errors are raised deep (services, authz, keys) and rendered once per protocol,
by their type and fields, never their text: AWS Query XML
(`idp.aws.xml.render_error`), Access Analyzer's rest-json (`idp.aws.rest_json`),
OAuth JSON (`idp.oidc.endpoints.errors.render_error`), `POST /authorize` JSON
(`idp.authz.responses`), HTML (`idp.web.errors.render_error`) and the CLI's
one `Error:` line (`idp.cli.one_line_errors`). Each class carries what every
renderer needs: an HTTP status, the AWS error code, the OAuth `error` value and
whether the caller or the server is at fault.
"""
from __future__ import annotations

import click


class IdpError(Exception):
    """Base of every error the product renders to a client."""

    status: int = 500
    code: str = "InternalFailure"
    oauth_error: str = "server_error"
    sender_fault: bool = False
    # A refusal that counted something (a wrong code, a throttled attempt) keeps the request's work: the
    # unit of work (`idp.work`) commits it instead of rolling it back, so the count outlives the refusal.
    keeps_work: bool = False

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ConfigError(IdpError, click.ClickException):
    """Invalid configuration or bootstrap input.

    It is also a ClickException so that the `flask` CLI reports it as one
    `Error: ...` line with exit code 1, even while the app is still loading.
    """

    code = "ConfigurationError"

    def __init__(self, message: str):
        IdpError.__init__(self, message)
        self.exit_code = 1


class ClientError(IdpError):
    """The request is wrong; the client can fix it."""

    status = 400
    code = "InvalidRequest"
    oauth_error = "invalid_request"
    sender_fault = True


class ValidationError(ClientError):
    code = "ValidationError"


class MissingParameter(ClientError):
    code = "MissingParameter"


class InvalidAction(ClientError):
    code = "InvalidAction"


class MalformedPolicyDocument(ClientError):
    code = "MalformedPolicyDocument"


class NotFound(ClientError):
    status = 404
    code = "NoSuchEntity"


class Conflict(ClientError):
    status = 409
    code = "EntityAlreadyExists"


class DeleteConflict(Conflict):
    code = "DeleteConflict"


class LimitExceeded(ClientError):
    status = 409
    code = "LimitExceeded"


class AuthenticationError(ClientError):
    """The caller's credentials do not authenticate."""

    status = 403
    code = "InvalidClientTokenId"
    oauth_error = "invalid_client"


class AccessDenied(ClientError):
    """Authenticated, but the shared authorizer said no."""

    status = 403
    code = "AccessDenied"
    oauth_error = "access_denied"


class OAuthError(ClientError):
    """An OAuth/OIDC protocol error whose `code` is the RFC 6749 `error` value."""

    def __init__(self, error: str, description: str = "", *, status: int = 400):
        super().__init__(description, code=error, status=status)
        self.oauth_error = error


class ServiceUnavailable(IdpError):
    status = 503
    code = "ServiceUnavailable"
    oauth_error = "temporarily_unavailable"


class TooManyRequests(ClientError):
    """Throttled: try again after `retry_after` seconds (sent as `Retry-After`)."""

    status = 429
    code = "Throttling"
    oauth_error = "slow_down"
    keeps_work = True

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Unprocessable(ClientError):
    """A well-formed request the service cannot complete as asked (a policy too complex to check)."""

    status = 422
    code = "UnprocessableEntity"


class UpstreamUnavailable(ServiceUnavailable):
    """An upstream sign-in provider could not be reached or answered nonsense (federation)."""

    status = 502
    code = "UpstreamUnavailable"
    # Shown to the person signing in: the message names the upstream and what failed, nothing internal.
    sender_fault = True


class UpstreamRefused(ClientError):
    """An upstream sign-in response is refused: an error from upstream, wrong state or issuer, a bad ID token."""

    code = "UpstreamRefused"


class InvalidLogoutRequest(ClientError):
    """An end-session request that must not be honoured, and so never redirects (OIDC RP-Initiated Logout 2)."""

    code = "InvalidLogoutRequest"


class InvalidRedirectUri(ValidationError):
    """A (post-logout) redirect URI that may not be registered (RFC 8252, OAuth 2.1); `field` names its list."""

    oauth_error = "invalid_redirect_uri"

    def __init__(self, message: str, *, field: str = "redirect_uris"):
        super().__init__(message)
        self.field = field


class UnmodifiableEntity(ClientError):
    """A protected entity (a service-linked role) that only its AWS service may change, whoever asks."""

    code = "UnmodifiableEntity"


class MalformedCertificate(ClientError):
    """A certificate, certificate chain or private key that does not parse, or a chain that does not link up."""

    code = "MalformedCertificate"


class InvalidCertificate(ClientError):
    """A certificate that parses but may not be used (outside its validity period)."""

    code = "InvalidCertificate"


class DuplicateCertificate(Conflict):
    """A signing certificate already held by a user (or the root user) of the account."""

    code = "DuplicateCertificate"


class KeyPairMismatch(ClientError):
    """A server certificate's private key that is not the key of its public key."""

    code = "KeyPairMismatch"


class InvalidPublicKey(ClientError):
    """An SSH public key in a known encoding that is malformed or too weak."""

    code = "InvalidPublicKey"


class UnrecognizedPublicKeyEncoding(ClientError):
    """An SSH public key in neither of the encodings IAM takes (ssh-rsa, PEM)."""

    code = "UnrecognizedPublicKeyEncoding"


class DuplicateSSHPublicKey(ClientError):
    """An SSH public key the user already holds (status 400, as AWS's model says)."""

    code = "DuplicateSSHPublicKey"


# User profile attributes (issue 21: idp/iam/profiles.py).
class InvalidProfileAttribute(ValidationError):
    """A profile attribute (an OIDC standard claim) with a value it may not hold; `attribute` names the claim."""

    def __init__(self, message: str, *, attribute: str):
        super().__init__(message)
        self.attribute = attribute


# Credential report (GetCredentialReport), issue 20.


class CredentialReportNotPresent(ClientError):
    """GetCredentialReport before any report was generated (410, as AWS answers)."""

    status = 410
    code = "ReportNotPresent"


class CredentialReportExpired(ClientError):
    """GetCredentialReport when the latest report is older than the 4 hours a report is kept (410)."""

    status = 410
    code = "ReportExpired"


# AWS Organizations (issue 20: idp/organizations/). Codes are the exception names AWS's JSON answers carry.
class OrganizationsError(ClientError):
    """A refusal of AWS Organizations."""


class AWSOrganizationsNotInUse(OrganizationsError):
    """The caller's account is in no organization."""

    code = "AWSOrganizationsNotInUseException"


class AlreadyInOrganization(OrganizationsError):
    """CreateOrganization by an account already in one."""

    code = "AlreadyInOrganizationException"


class OrganizationNotEmpty(OrganizationsError):
    """DeleteOrganization while member accounts remain."""

    code = "OrganizationNotEmptyException"


class OrganizationsInvalidInput(OrganizationsError):
    """A parameter Organizations refuses (its InvalidInputException)."""

    code = "InvalidInputException"


class OrganizationsEntityNotFound(OrganizationsError):
    """A root, OU, account, policy, target, parent or request that does not exist; `code` says which."""

    code = "TargetNotFoundException"


class DuplicateOrganizationalUnit(OrganizationsError):
    """An OU name already used under the same parent."""

    code = "DuplicateOrganizationalUnitException"


class DuplicateOrganizationPolicy(OrganizationsError):
    """A policy name already used in the organization."""

    code = "DuplicatePolicyException"


class DuplicatePolicyAttachment(OrganizationsError):
    """The policy is already attached to the target."""

    code = "DuplicatePolicyAttachmentException"


class PolicyNotAttached(OrganizationsError):
    """Detaching a policy that is not attached to the target."""

    code = "PolicyNotAttachedException"


class PolicyInUse(OrganizationsError):
    """Deleting a policy still attached somewhere."""

    code = "PolicyInUseException"


class PolicyTypeNotEnabled(OrganizationsError):
    """A policy type not enabled on the root."""

    code = "PolicyTypeNotEnabledException"


class PolicyTypeAlreadyEnabled(OrganizationsError):
    """Enabling a policy type twice."""

    code = "PolicyTypeAlreadyEnabledException"


class MalformedOrganizationPolicy(OrganizationsError):
    """An SCP or RCP document that is not valid for its type."""

    code = "MalformedPolicyDocumentException"


class ConstraintViolation(OrganizationsError):
    """A limit or rule of the organization the request would break; `reason` is AWS's ConstraintViolationReason."""

    code = "ConstraintViolationException"

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


# User life cycle (idp.lifecycle): mailed links, self-registration, self-deletion.


class LinkInvalid(ClientError):
    """A mailed single-use link that is unknown, already used, expired or for another purpose (one message)."""

    code = "InvalidLink"


class SelfServiceDisabled(NotFound):
    """A self-service page (sign-up, deletion) the account has not turned on: as if it did not exist."""

    code = "SelfServiceDisabled"


class EmailNotVerified(ClientError):
    """A self-registered user whose email is not verified yet: they may not sign in."""

    status = 403
    code = "EmailNotVerified"
    oauth_error = "access_denied"


# LDAP / Active Directory sign-in (idp.federation.ldap).


class DirectoryUnavailable(ServiceUnavailable):
    """No LDAP server of the account's directory answered (down, timed out, TLS or service bind failed)."""

    code = "DirectoryUnavailable"

    def __init__(self, message: str = "The directory is unavailable; try again later.") -> None:
        super().__init__(message)
