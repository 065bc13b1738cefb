"""A real OpenLDAP server (Debian's slapd) on free loopback ports, with a generated CA and server certificate.

`Slapd(directory).start()` writes a slapd.conf (core, cosine, inetorgperson,
nis schemas, the ppolicy module for `pwdAccountLockedTime`, the memberof
overlay, which keeps `memberOf` for the groups added while it runs, one mdb
database under `dc=example,dc=org`), loads `PEOPLE`, `GROUPS` and an empty
`OTHER_GROUPS` branch with slapadd, and serves LDAPS and LDAP (for StartTLS)
on 127.0.0.1. The CA that signed the server certificate is `ca_file`; the
certificate names 127.0.0.1 only (so `localhost` is a host-name mismatch). The
rootdn is the service account the tests configure and the one they change the
directory with (`connection()`). slapd's operation log (`stats`) goes to
`log_file`: `operations()` reads the BINDs and SEARCHes made since an offset.
`Slapd(directory, tls=False)` serves plain LDAP only (its StartTLS is refused).
"""
from __future__ import annotations

import datetime
import ipaddress
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import free_port

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "admin-s3cret"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
OTHER_GROUPS = f"ou=contractors,{BASE}"  # groups someone else may create: never ours
OPERATION = re.compile(r'conn=(\d+ op=\d+) (BIND dn|SRCH base)="([^"]*)"')
# uid -> (password, mail, groups)
USERS = {
    "alice": ("alice-pw-1", "alice@example.org", ["engineers", "admins"]),
    "bob": ("bob-pw-1", "bob@example.org", ["engineers"]),
    "carol": ("carol-pw-1", "carol@example.org", ["engineers", "admins"]),
}
LOCKED = {"carol"}


def available() -> bool:
    """True when Debian's slapd is installed."""
    return Path(SLAPD).exists() and Path(SLAPADD).exists()


def user_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


class Slapd:
    """One slapd process serving a fresh directory from `directory`."""

    def __init__(self, directory: Path, *, tls: bool = True):
        self.directory = directory
        self.tls = tls
        self.ldaps_port, self.ldap_port = free_port(), free_port()
        self.ca_file = str(directory / "ca.pem")
        self.log_file = directory / "slapd.log"
        self.process: subprocess.Popen | None = None

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    def start(self) -> Slapd:
        (self.directory / "data").mkdir(exist_ok=True)
        self._certificates()
        config = self.directory / "slapd.conf"
        config.write_text(self._config())
        ldif = self.directory / "data.ldif"
        ldif.write_text(_ldif())
        subprocess.run([SLAPADD, "-f", str(config), "-l", str(ldif)], check=True, capture_output=True, timeout=30)
        urls = f"{self.ldaps_url}/ {self.ldap_url}/" if self.tls else f"{self.ldap_url}/"
        with self.log_file.open("wb") as log:  # -d 256: the stats log, to stderr
            self.process = subprocess.Popen([SLAPD, "-f", str(config), "-h", urls, "-d", "256"],
                                            stdout=subprocess.DEVNULL, stderr=log)
        self._wait()
        return self

    def log_offset(self) -> int:
        """Where the operation log ends now (for `operations`)."""
        return self.log_file.stat().st_size

    def operations(self, offset: int) -> list[tuple[str, str]]:
        """The BINDs (`BIND dn`, the DN) and SEARCHes (`SRCH base`, the base) logged after `offset`, in order."""
        with self.log_file.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        # A bind is logged twice (the request, then its mechanism when accepted): one per (connection, op).
        found = {operation: (kind, target) for operation, kind, target in OPERATION.findall(text)}
        return list(found.values())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.directory / "data", ignore_errors=True)

    def connection(self):
        """An ldap3 connection bound as the rootdn over LDAPS (to change the directory in a test)."""
        import ssl

        from ldap3 import Connection, Server, Tls

        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file)
        server = Server("127.0.0.1", port=self.ldaps_port, use_ssl=True, tls=tls, connect_timeout=5)
        return Connection(server, user=ADMIN_DN, password=ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True)

    def _wait(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.log_file.read_text(errors='replace')}")
            try:
                port = self.ldaps_port if self.tls else self.ldap_port
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening")

    def _config(self) -> str:
        d = self.directory
        tls = [f"TLSCACertificateFile {d}/ca.pem", f"TLSCertificateFile {d}/server.pem",
               f"TLSCertificateKeyFile {d}/server.key"] if self.tls else []
        return "\n".join([
            *(f"include /etc/ldap/schema/{name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")),
            "modulepath /usr/lib/ldap", "moduleload back_mdb", "moduleload ppolicy", "moduleload memberof",
            f"pidfile {d}/slapd.pid", f"argsfile {d}/slapd.args", *tls,
            "access to attrs=userPassword by anonymous auth by * none",
            "access to * by users read by anonymous auth",
            "database mdb", f'suffix "{BASE}"', f'rootdn "{ADMIN_DN}"', f"rootpw {ADMIN_PASSWORD}",
            f"directory {d}/data", "maxsize 10485760", "overlay ppolicy", "overlay memberof", "",
        ])

    def _certificates(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test LDAP CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
              .not_valid_after(now + datetime.timedelta(days=2))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        names = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        server = (x509.CertificateBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test LDAP server")]))
                  .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
                  .add_extension(names, critical=False)
                  .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                  .sign(ca_key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        (self.directory / "ca.pem").write_bytes(ca.public_bytes(pem))
        (self.directory / "server.pem").write_bytes(server.public_bytes(pem))
        (self.directory / "server.key").write_bytes(key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _ldif() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: {OTHER_GROUPS}\nobjectClass: organizationalUnit\nou: contractors",
    ]
    for uid, (password, mail, _) in USERS.items():
        lines = [f"dn: {user_dn(uid)}", "objectClass: inetOrgPerson", f"uid: {uid}", f"cn: {uid.title()} Example",
                 "sn: Example", f"mail: {mail}", f"userPassword: {password}"]
        if uid in LOCKED:
            lines.append("pwdAccountLockedTime: 000001010000Z")
        entries.append("\n".join(lines))
    names = sorted({group for _, _, groups in USERS.values() for group in groups})
    for name in names:
        members = [uid for uid, (_, _, groups) in USERS.items() if name in groups]
        entries.append("\n".join([f"dn: {group_dn(name)}", "objectClass: groupOfNames", f"cn: {name}",
                                  *(f"member: {user_dn(uid)}" for uid in members)]))
    # groupOfNames needs a member: the empty group holds the base entry, which is no user.
    entries.append(f"dn: {group_dn('auditors')}\nobjectClass: groupOfNames\ncn: auditors\nmember: {BASE}")
    return "\n\n".join(entries) + "\n"
