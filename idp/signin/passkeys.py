"""WebAuthn ceremonies (passkeys) with the `webauthn` package: registration, second-factor and passwordless assertions.

The relying party is the issuer: RP id = its host, origin = its scheme and
authority. Each ceremony's challenge is kept in Flask's signed session and
popped when the answer arrives; because a signed cookie can be replayed, the
challenge's digest is also written to the shared replay table (`used_jtis`)
before verification, so a challenge is accepted once on any instance.
Credentials are `MfaDevice` rows of kind `webauthn`, the same rows IAM's
ListMFADevices shows (serial numbers in AWS's `u2f/...` shape).
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import webauthn
from flask import current_app, session
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp import clock
from idp.errors import AccessDenied, ValidationError
from idp.iam import mfa_devices
from models import db
from models.account import Account
from models.jti import UsedJti
from models.mfa import MfaDevice
from models.user import User

CHALLENGE_SECONDS = 300
TIMEOUT_MS = 120_000
SESSION_KEY = "webauthn_ceremony"
REPLAY_NAMESPACE = "webauthn-challenge"
MAX_CREDENTIAL_JSON = 16 * 1024


class PasskeyRefused(AccessDenied):
    """A passkey answer that is refused; it keeps the request's work (`idp.work`): the challenge it spent and
    any failure counted for it outlive the refusal."""

    keeps_work = True


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser is asked to create or use a credential for."""

    id: str
    name: str
    origin: str


@dataclass(frozen=True)
class Assertion:
    """A verified passkey assertion: the credential's row and the RFC 8176 amr value it earns."""

    device: MfaDevice
    amr: str


def relying_party() -> RelyingParty:
    """The issuer as a WebAuthn relying party."""
    issuer = urlsplit(current_app.config["IDP_SETTINGS"].issuer)
    return RelyingParty(id=issuer.hostname, name="Identity provider", origin=f"{issuer.scheme}://{issuer.netloc}")


def user_handle(account_id: str, user: User | None) -> bytes:
    """The stable WebAuthn user handle: the IAM user id (AIDA...), or the account id for the root user."""
    return (user.user_id if user is not None else account_id).encode("ascii")


def passkeys(account_id: str, user_id: int | None) -> list[MfaDevice]:
    """The principal's registered passkeys, oldest first."""
    owner = MfaDevice.user_id.is_(None) if user_id is None else MfaDevice.user_id == user_id
    query = select(MfaDevice).where(
        MfaDevice.account_id == account_id, owner, MfaDevice.kind == "webauthn", MfaDevice.enabled_at.is_not(None)
    )
    return list(db.session.scalars(query.order_by(MfaDevice.id)))


def _descriptors(devices: list[MfaDevice]) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=device.credential_id,
            transports=[AuthenticatorTransport(t) for t in device.transports or [] if t in known] or None,
        )
        for device in devices
    ]


def _remember(purpose: str, challenge: bytes, **bound) -> None:
    session[SESSION_KEY] = {
        "purpose": purpose, "challenge": bytes_to_base64url(challenge),
        "expires": clock.now().timestamp() + CHALLENGE_SECONDS, **bound,
    }


def _take(purpose: str) -> dict:
    """The pending ceremony of `purpose`, removed from the session and burnt in the replay table.

    The burn is flushed, not committed: the request's unit of work commits it
    on success, and a refusal (`PasskeyRefused`) keeps that work, so a
    challenge is spent whatever the outcome.
    """
    pending = session.pop(SESSION_KEY, None)
    if not pending or pending.get("purpose") != purpose or pending.get("expires", 0) < clock.now().timestamp():
        raise PasskeyRefused("The passkey request expired or was already used; try again.")
    digest = hashlib.sha256(pending["challenge"].encode("ascii")).hexdigest()
    try:
        with db.session.begin_nested():
            db.session.add(UsedJti(
                issuer=REPLAY_NAMESPACE, jti=digest,
                expires_at=clock.now() + timedelta(seconds=CHALLENGE_SECONDS),
            ))
    except IntegrityError:
        raise PasskeyRefused("The passkey request expired or was already used; try again.") from None
    pending["challenge_bytes"] = webauthn.base64url_to_bytes(pending["challenge"])
    return pending


def _parse(credential) -> dict:
    try:
        size = len(json.dumps(credential)) if isinstance(credential, dict) else None
    except (RecursionError, ValueError, TypeError):
        size = None
    if size is None or size > MAX_CREDENTIAL_JSON:
        raise ValidationError("The passkey response is malformed.")
    return credential


def registration_options(account_id: str, user: User | None, user_name: str) -> dict:
    """Options for navigator.credentials.create(): a discoverable credential for this principal."""
    rp = relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=user_handle(account_id, user), user_name=user_name,
        timeout=TIMEOUT_MS, exclude_credentials=_descriptors(passkeys(account_id, user.id if user else None)),
        # Resident keys so the same passkey can sign in without a user name.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    _remember("register", options.challenge, account_id=account_id, user_id=user.id if user else None)
    return json.loads(webauthn.options_to_json(options))


def _serial(account_id: str, user: User | None, name: str) -> str:
    # AWS's shape for FIDO security keys: arn:aws:iam::<account>:u2f/user/<name>/<device>-<random>.
    owner = "root" if user is None else f"user/{user.name}"
    return f"arn:aws:iam::{account_id}:u2f/{owner}/{name}-{secrets.token_hex(13).upper()}"


def register(account_id: str, user: User | None, credential, name: str) -> MfaDevice:
    """Verify a navigator.credentials.create() answer and store the passkey; PasskeyRefused when it does not verify."""
    pending = _take("register")
    if pending.get("account_id") != account_id or pending.get("user_id") != (user.id if user else None):
        raise PasskeyRefused("The passkey request was made for someone else.")
    rp = relying_party()
    try:
        verified = webauthn.verify_registration_response(
            credential=_parse(credential), expected_challenge=pending["challenge_bytes"],
            expected_rp_id=rp.id, expected_origin=rp.origin,
        )
    except WebAuthnException:
        raise PasskeyRefused("The passkey could not be verified.") from None
    if db.session.scalar(select(MfaDevice.id).where(MfaDevice.credential_id == verified.credential_id)):
        raise PasskeyRefused("This passkey is already registered.")
    if len(mfa_devices.owned(account_id, user)) >= mfa_devices.MAX_DEVICES_PER_USER:
        raise PasskeyRefused(f"Cannot have more than {mfa_devices.MAX_DEVICES_PER_USER} MFA devices.")
    transports = (credential.get("response") or {}).get("transports")
    now = clock.now()
    device = MfaDevice(
        account_id=account_id, user_id=user.id if user else None, serial_number=_serial(account_id, user, name),
        name=name, path="/", kind="webauthn", enabled_at=now, credential_id=verified.credential_id,
        public_key=verified.credential_public_key, sign_count=verified.sign_count,
        transports=[str(t) for t in transports][:8] if isinstance(transports, list) else None, created_at=now,
    )
    db.session.add(device)
    db.session.flush()
    return device


def authentication_options(*, account_id: str | None = None, user_id: int | None = None) -> dict:
    """Options for navigator.credentials.get(): the principal's passkeys (second factor) or any discoverable one."""
    rp = relying_party()
    if account_id is None:
        options = webauthn.generate_authentication_options(
            rp_id=rp.id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.REQUIRED,
        )
        _remember("login", options.challenge)
    else:
        options = webauthn.generate_authentication_options(
            rp_id=rp.id, timeout=TIMEOUT_MS, allow_credentials=_descriptors(passkeys(account_id, user_id)),
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        _remember("mfa", options.challenge, account_id=account_id, user_id=user_id)
    return json.loads(webauthn.options_to_json(options))


def claimed_device(credential) -> MfaDevice | None:
    """The enabled passkey a navigator.credentials.get() answer names by its credential id (not yet verified)."""
    try:
        return _device_for(_parse(credential))
    except ValidationError:
        return None


def _device_for(credential: dict) -> MfaDevice | None:
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError):  # the library lets base64 and type errors through
        return None
    return db.session.scalar(
        select(MfaDevice).where(
            MfaDevice.credential_id == parsed.raw_id, MfaDevice.kind == "webauthn", MfaDevice.enabled_at.is_not(None)
        )
    )


def _owner_handle(device: MfaDevice) -> bytes:
    return user_handle(device.account_id, device.user)


def authenticate(credential, *, passwordless: bool) -> Assertion:
    """Verify a navigator.credentials.get() answer against the pending ceremony; PasskeyRefused otherwise.

    Passwordless: any discoverable credential whose user handle is its owner's,
    with user verification (the passkey is the only factor). Second factor:
    only a passkey of the principal whose password just passed.
    """
    pending = _take("login" if passwordless else "mfa")
    credential = _parse(credential)
    device = _device_for(credential)
    refused = PasskeyRefused("The passkey could not be verified.")
    if device is None:
        raise refused
    if passwordless:
        handle = (credential.get("response") or {}).get("userHandle")
        try:
            owned = isinstance(handle, str) and webauthn.base64url_to_bytes(handle) == _owner_handle(device)
        except ValueError:  # not base64url
            owned = False
        if not owned:
            raise refused
    elif device.account_id != pending.get("account_id") or device.user_id != pending.get("user_id"):
        raise refused
    rp = relying_party()
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=pending["challenge_bytes"], expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=device.public_key,
            credential_current_sign_count=device.sign_count, require_user_verification=passwordless,
        )
    except (WebAuthnException, ValueError, TypeError):
        raise refused from None
    _advance_counter(device, verified.new_sign_count)
    # RFC 8176: a synced (backed-up, multi-device) passkey is a software-secured key, not a hardware one.
    synced = verified.credential_backed_up or verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    return Assertion(device=device, amr="swk" if synced else "hwk")


def _advance_counter(device: MfaDevice, new_count: int) -> None:
    # Compare-and-set: two assertions racing from a cloned authenticator cannot both move the counter.
    result = db.session.execute(
        update(MfaDevice).where(MfaDevice.id == device.id, MfaDevice.sign_count == device.sign_count)
        .values(sign_count=new_count, last_used_at=clock.now()).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PasskeyRefused("The passkey could not be verified.")
    db.session.refresh(device)


def principal_arn(device: MfaDevice) -> str:
    """The ARN of the passkey's owner."""
    if device.user is not None:
        return device.user.arn
    return db.session.get(Account, device.account_id).root_arn
