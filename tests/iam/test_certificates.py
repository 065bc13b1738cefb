"""Signing certificates, server certificates and SSH public keys through boto3 and the aws CLI:
life cycles, AWS's quotas and refusals (with nothing changed), DeleteUser conflicts, authorization."""
import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from tests.iam.test_aws_cli import aws  # noqa: F401  (fixture)

NOW = datetime.now(timezone.utc)
PEM = serialization.Encoding.PEM
OPENSSH = (serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def certificate(name: str, key, *, issuer=None, issuer_key=None, days: int = 365, start_days: int = -1):
    """A PEM certificate for `key`, self-signed unless `issuer`/`issuer_key` (a CA certificate and its key)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    built = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=start_days)).not_valid_after(NOW + timedelta(days=days))
        .sign(issuer_key or key, hashes.SHA256())
    )
    return built


def pem(cert) -> str:
    return cert.public_bytes(PEM).decode()


def private_pem(key) -> str:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def ec_keys():
    return [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]


@pytest.fixture(scope="module")
def rsa_keys():
    """Six distinct 2048-bit keys: five fill a user's quota, the sixth is refused."""
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(6)]


# --- signing certificates ------------------------------------------------------------------------------------


def test_signing_certificates(iam, user_client, root, ec_keys):
    iam.create_user(UserName="alice")
    first, second, third = (pem(certificate(f"c{i}", ec_keys[i])) for i in range(3))
    uploaded = iam.upload_signing_certificate(UserName="alice", CertificateBody=first)["Certificate"]
    cert_id = uploaded["CertificateId"]
    assert len(cert_id) == 32 and cert_id.isalnum() and cert_id.isupper()
    assert (uploaded["UserName"], uploaded["Status"], uploaded["CertificateBody"]) == ("alice", "Active", first)
    second_id = iam.upload_signing_certificate(UserName="alice", CertificateBody=second)["Certificate"]["CertificateId"]

    iam.update_signing_certificate(UserName="alice", CertificateId=cert_id, Status="Inactive")
    listed = iam.list_signing_certificates(UserName="alice")
    assert [(c["CertificateId"], c["Status"]) for c in listed["Certificates"]] == [
        (cert_id, "Inactive"), (second_id, "Active")]
    paged = iam.list_signing_certificates(UserName="alice", MaxItems=1)
    assert paged["IsTruncated"] and len(paged["Certificates"]) == 1

    # Refusals, each in AWS's words, and none of them changes anything.
    iam.create_user(UserName="bob")
    expired = pem(certificate("old", ec_keys[3], days=-1, start_days=-30))
    refusals = [
        (dict(UserName="alice", CertificateBody=third),
         ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)),
        (dict(UserName="bob", CertificateBody=first),
         ("DuplicateCertificate", f"The Certificate with id {cert_id} already exists.", 409)),
        (dict(UserName="bob", CertificateBody="notacert"),
         ("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.",
          400)),
        (dict(UserName="bob", CertificateBody=expired), ("InvalidCertificate", None, 400)),
        (dict(UserName="nobody", CertificateBody=third),
         ("NoSuchEntity", "The user with name nobody cannot be found.", 404)),
    ]
    for kwargs, (code, message, status) in refusals:
        got = error_of(iam.upload_signing_certificate, **kwargs)
        assert (got[0], got[2]) == (code, status) and (message is None or got[1] == message), kwargs
    assert iam.list_signing_certificates(UserName="bob")["Certificates"] == []
    assert len(iam.list_signing_certificates(UserName="alice")["Certificates"]) == 2
    unknown = "X" * 32
    assert error_of(iam.update_signing_certificate, UserName="alice", CertificateId=unknown, Status="Active")[:2] == (
        "NoSuchEntity", f"The Certificate with id {unknown} cannot be found.")
    # A certificate is reached only through its own user.
    assert error_of(iam.delete_signing_certificate, UserName="bob", CertificateId=cert_id)[0] == "NoSuchEntity"
    assert error_of(iam.update_signing_certificate, UserName="alice", CertificateId=cert_id,
                    Status="Expired")[0] == "InvalidInput"

    assert error_of(iam.delete_user, UserName="alice")[:2] == (
        "DeleteConflict", "Cannot delete entity, must delete signing certificates first.")
    for each in (cert_id, second_id):
        iam.delete_signing_certificate(UserName="alice", CertificateId=each)
    iam.delete_user(UserName="alice")

    # Without a UserName: the calling user's own certificates, authorized on its own ARN; root's are the account's.
    own = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*SigningCertificate*", "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
    carol = user_client("carol", policy=own)
    mine = carol.upload_signing_certificate(CertificateBody=third)["Certificate"]
    assert mine["UserName"] == "carol"
    assert [c["CertificateId"] for c in carol.list_signing_certificates()["Certificates"]] == [mine["CertificateId"]]
    assert error_of(carol.list_signing_certificates, UserName="bob")[0] == "AccessDenied"
    assert error_of(carol.upload_signing_certificate, UserName="bob", CertificateBody=second)[0] == "AccessDenied"
    assert iam.list_signing_certificates(UserName="bob")["Certificates"] == []
    root_cert = iam.upload_signing_certificate(CertificateBody=second)["Certificate"]
    assert root_cert["UserName"] == root.account_id
    assert [c["CertificateId"] for c in iam.list_signing_certificates()["Certificates"]] == [root_cert["CertificateId"]]


# --- server certificates -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(ec_keys):
    """A CA, a leaf it issued (body, key, chain), and a self-signed certificate with its key."""
    ca_key, leaf_key, other_key = ec_keys[:3]
    ca = certificate("Example CA", ca_key)
    leaf = certificate("www.example.com", leaf_key, issuer=ca, issuer_key=ca_key, days=90)
    return {"ca": pem(ca), "leaf": pem(leaf), "leaf_key": private_pem(leaf_key),
            "leaf_expires": leaf.not_valid_after_utc,
            "other": pem(certificate("other", other_key)), "other_key": private_pem(other_key)}


def test_server_certificates(iam, root, tls, db):
    account = root.account_id
    meta = iam.upload_server_certificate(
        ServerCertificateName="www", Path="/cloudfront/", CertificateBody=tls["leaf"], PrivateKey=tls["leaf_key"],
        CertificateChain=tls["ca"], Tags=[{"Key": "env", "Value": "prod"}],
    )["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{account}:server-certificate/cloudfront/www"
    assert meta["ServerCertificateId"].startswith("ASCA") and meta["Path"] == "/cloudfront/"
    assert meta["Expiration"] == tls["leaf_expires"].replace(microsecond=0)
    got = iam.get_server_certificate(ServerCertificateName="WWW")["ServerCertificate"]
    assert (got["CertificateBody"], got["CertificateChain"], got["Tags"]) == (
        tls["leaf"], tls["ca"], [{"Key": "env", "Value": "prod"}])
    assert got["ServerCertificateMetadata"] == meta and "PrivateKey" not in got
    iam.upload_server_certificate(ServerCertificateName="apex", CertificateBody=tls["other"],
                                  PrivateKey=tls["other_key"])

    # The private key is stored sealed, never in clear.
    from idp.keys import master_key
    from models.user_certificate import ServerCertificate
    row = db.session.query(ServerCertificate).filter_by(name="www").one()
    assert b"PRIVATE KEY" not in row.private_key_encrypted
    assert master_key().open(row.private_key_encrypted, f"server-certificate:{row.server_certificate_id}").decode() \
        == tls["leaf_key"]

    names = [m["ServerCertificateName"] for m in iam.list_server_certificates()["ServerCertificateMetadataList"]]
    assert names == ["apex", "www"]
    assert [m["ServerCertificateName"] for m in iam.list_server_certificates(
        PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]] == ["www"]
    first = iam.list_server_certificates(MaxItems=1)
    rest = iam.list_server_certificates(MaxItems=1, Marker=first["Marker"])
    assert [m["ServerCertificateName"] for m in first["ServerCertificateMetadataList"] +
            rest["ServerCertificateMetadataList"]] == ["apex", "www"] and not rest["IsTruncated"]

    # Refusals in AWS's words; nothing is written.
    other_name = tls["other"]
    refusals = [
        (dict(ServerCertificateName="Www", CertificateBody=tls["leaf"], PrivateKey=tls["leaf_key"]),
         ("EntityAlreadyExists", "The Server Certificate with name Www already exists.")),
        (dict(ServerCertificateName="bad", CertificateBody="-----BEGIN CERTIFICATE-----\nAAAA\n", PrivateKey="x"),
         ("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.")),
        (dict(ServerCertificateName="bad", CertificateBody=tls["leaf"], PrivateKey=tls["other_key"]),
         ("KeyPairMismatch", None)),
        (dict(ServerCertificateName="bad", CertificateBody=tls["leaf"], PrivateKey="not a key"),
         ("MalformedCertificate", None)),
        (dict(ServerCertificateName="bad", CertificateBody=tls["leaf"], PrivateKey=tls["leaf_key"],
              CertificateChain=other_name),
         ("MalformedCertificate", "Unable to validate certificate chain. The certificate chain must start with the "
          "immediate signing certificate, followed by any intermediaries in order. The index within the chain of "
          "the invalid certificate is: -1")),
    ]
    for kwargs, (code, message) in refusals:
        got_code, got_message, _ = error_of(iam.upload_server_certificate, **kwargs)
        assert got_code == code and (message is None or got_message == message), kwargs
        assert "PRIVATE KEY" not in got_message
    assert len(iam.list_server_certificates()["ServerCertificateMetadataList"]) == 2

    # Rename and move: the ARN follows; the old name is gone.
    iam.update_server_certificate(ServerCertificateName="www", NewServerCertificateName="web", NewPath="/elb/")
    moved = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["Arn"] == f"arn:aws:iam::{account}:server-certificate/elb/web"
    assert moved["ServerCertificateId"] == meta["ServerCertificateId"]
    assert error_of(iam.get_server_certificate, ServerCertificateName="www")[:2] == (
        "NoSuchEntity", "The Server Certificate with name www cannot be found.")
    assert error_of(iam.update_server_certificate, ServerCertificateName="web",
                    NewServerCertificateName="APEX")[0] == "EntityAlreadyExists"

    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "team", "Value": "edge"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["env"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [{"Key": "team", "Value": "edge"}]
    for name in ("web", "apex"):
        iam.delete_server_certificate(ServerCertificateName=name)
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []
    assert error_of(iam.delete_server_certificate, ServerCertificateName="web")[0] == "NoSuchEntity"


def test_server_certificates_authorized_on_their_arn_with_tags(iam, user_client, tls, aws, tmp_path):  # noqa: F811
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:UploadServerCertificate", "iam:ListServerCertificates"],
         "Resource": "arn:aws:iam::*:server-certificate/team/*",
         "Condition": {"StringEquals": {"aws:RequestTag/owner": "dana"}}},
        {"Effect": "Allow", "Action": "iam:ListServerCertificates", "Resource": "*"}]})
    dana = user_client("dana", policy=policy)
    body, key = tls["other"], tls["other_key"]
    assert error_of(dana.upload_server_certificate, ServerCertificateName="x", Path="/team/", CertificateBody=body,
                    PrivateKey=key)[0] == "AccessDenied"
    assert error_of(dana.upload_server_certificate, ServerCertificateName="x", CertificateBody=body, PrivateKey=key,
                    Tags=[{"Key": "owner", "Value": "dana"}])[0] == "AccessDenied"
    dana.upload_server_certificate(ServerCertificateName="x", Path="/team/", CertificateBody=body, PrivateKey=key,
                                   Tags=[{"Key": "owner", "Value": "dana"}])

    # The aws CLI reads the PEM files and sees the same certificate.
    (tmp_path / "cert.pem").write_text(tls["leaf"])
    (tmp_path / "key.pem").write_text(tls["leaf_key"])
    (tmp_path / "chain.pem").write_text(tls["ca"])
    made = aws("iam", "upload-server-certificate", "--server-certificate-name", "cli", "--certificate-body",
               f"file://{tmp_path / 'cert.pem'}", "--private-key", f"file://{tmp_path / 'key.pem'}",
               "--certificate-chain", f"file://{tmp_path / 'chain.pem'}")
    assert made["ServerCertificateMetadata"]["ServerCertificateName"] == "cli"
    listed = aws("iam", "list-server-certificates")["ServerCertificateMetadataList"]
    assert sorted(m["ServerCertificateName"] for m in listed) == ["cli", "x"]
    aws("iam", "delete-server-certificate", "--server-certificate-name", "cli")
    remaining = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert [m["ServerCertificateName"] for m in remaining] == ["x"]


# --- SSH public keys -----------------------------------------------------------------------------------------


def md5_fingerprint(key) -> str:
    blob = base64.b64decode(key.public_key().public_bytes(*OPENSSH).split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())


def test_ssh_public_keys(iam, user_client, rsa_keys):
    iam.create_user(UserName="erin")
    iam.create_user(UserName="frank")
    first = rsa_keys[0]
    line = first.public_key().public_bytes(*OPENSSH).decode()
    uploaded = iam.upload_ssh_public_key(UserName="erin", SSHPublicKeyBody=f"{line} erin@laptop\n")["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert key_id.startswith("APKA") and len(key_id) == 20
    assert (uploaded["Fingerprint"], uploaded["Status"], uploaded["SSHPublicKeyBody"]) == (
        md5_fingerprint(first), "Active", line)
    as_pem = iam.get_ssh_public_key(UserName="erin", SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert serialization.load_pem_public_key(as_pem["SSHPublicKeyBody"].encode()).public_numbers() == \
        first.public_key().public_numbers()
    assert iam.get_ssh_public_key(UserName="erin", SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"][
        "SSHPublicKeyBody"] == line
    # PEM is taken too; the same key in another encoding is still the same key.
    pem_body = rsa_keys[1].public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    iam.upload_ssh_public_key(UserName="erin", SSHPublicKeyBody=pem_body)

    first_pem = first.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_bytes(*OPENSSH).decode()
    edwards = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(*OPENSSH).decode()
    refusals = [
        (first_pem, ("DuplicateSSHPublicKey", 400)),
        (weak, ("InvalidPublicKey", 400)),
        ("ssh-rsa AAAA!!notbase64", ("InvalidPublicKey", 400)),
        (edwards, ("UnrecognizedPublicKeyEncoding", 400)),
        ("hello", ("UnrecognizedPublicKeyEncoding", 400)),
    ]
    for body, expected in refusals:
        code, _, status = error_of(iam.upload_ssh_public_key, UserName="erin", SSHPublicKeyBody=body)
        assert (code, status) == expected, body
    assert len(iam.list_ssh_public_keys(UserName="erin")["SSHPublicKeys"]) == 2
    # Another user may hold the same key.
    iam.upload_ssh_public_key(UserName="frank", SSHPublicKeyBody=line)

    for key in rsa_keys[2:5]:
        iam.upload_ssh_public_key(UserName="erin", SSHPublicKeyBody=key.public_key().public_bytes(*OPENSSH).decode())
    sixth = rsa_keys[5].public_key().public_bytes(*OPENSSH).decode()
    assert error_of(iam.upload_ssh_public_key, UserName="erin", SSHPublicKeyBody=sixth) == (
        "LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5", 409)

    iam.update_ssh_public_key(UserName="erin", SSHPublicKeyId=key_id, Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName="erin")["SSHPublicKeys"]
    assert len(listed) == 5 and (listed[0]["SSHPublicKeyId"], listed[0]["Status"]) == (key_id, "Inactive")
    assert set(listed[0]) == {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}
    assert error_of(iam.get_ssh_public_key, UserName="frank", SSHPublicKeyId=key_id, Encoding="SSH")[:2] == (
        "NoSuchEntity", f"The Public Key with id {key_id} cannot be found.")
    assert error_of(iam.delete_user, UserName="erin")[:2] == (
        "DeleteConflict", "Cannot delete entity, must delete SSH public keys first.")

    # The calling user lists its own keys without a name; others' only when allowed.
    own = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*SSHPublicKey*", "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
    gina = user_client("gina", policy=own)
    assert gina.list_ssh_public_keys()["SSHPublicKeys"] == []
    assert error_of(gina.delete_ssh_public_key, UserName="erin", SSHPublicKeyId=key_id)[0] == "AccessDenied"
    assert error_of(iam.list_ssh_public_keys)[0] == "ValidationError"  # the root user holds no SSH keys

    for key in iam.list_ssh_public_keys(UserName="erin")["SSHPublicKeys"]:
        iam.delete_ssh_public_key(UserName="erin", SSHPublicKeyId=key["SSHPublicKeyId"])
    iam.delete_user(UserName="erin")
