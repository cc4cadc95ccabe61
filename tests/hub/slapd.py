"""A real directory for the hub tests: Debian's slapd on a random loopback port.

It is labgate's own throwaway directory (generated slapd.conf with the core, cosine,
inetorgperson and nis schemas on back_mdb, seeded with slapadd), with people whose names
need escaping in DNs and filters, a search account, two entries that share a cn (so a
search can be ambiguous), and optionally a TLS certificate from a throwaway CA for StartTLS.

slapd missing is a failure, not a skip: `make test` installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from labgate.demo.directory import DirectoryEntry, ThrowawayDirectory, free_port

SUFFIX = "dc=labgate,dc=test"
PEOPLE_DN = f"ou=people,{SUFFIX}"
TEMPLATE = f"uid={{username}},{PEOPLE_DN}"
SEARCH_USER = "reader"


def password(uid: str) -> str:
    return f"pw-{uid}-42"


#: (uid, cn). Names that need escaping: an apostrophe, a comma in a uid and in a cn, a
#: plus sign, filter syntax, a backslash, non-ASCII letters.
PEOPLE = [
    ("ada", "Ada Lovelace"),
    ("eve", "Eve Ended"),
    ("tom", "Tom Totp"),
    ("nina", "Nina Notinlabgate"),
    ("paul", "Paul Pending"),
    ("o'brien", "Conor O'Brien"),
    ("a,b", "Comma Person"),
    ("bo.nielsen", "Nielsen, Bo"),
    ("plus+sign", "Plus Sign"),
    ("back\\slash", "Back Slash"),
    ("søren", "Søren Ærø"),
    ("twin1", "Twin Person"),
    ("twin2", "Twin Person"),
    (SEARCH_USER, "Search Account"),
]


def entries() -> list[DirectoryEntry]:
    return [DirectoryEntry(uid, cn, password(uid)) for uid, cn in PEOPLE]


@dataclass
class Slapd:
    directory: ThrowawayDirectory
    ca_file: Path | None = None

    @property
    def port(self) -> int:
        return self.directory.port

    @property
    def search_user_dn(self) -> str:
        return f"uid={SEARCH_USER},{PEOPLE_DN}"


def require_binaries() -> None:
    missing = [p for p in ("slapd", "slapadd") if not (shutil.which(p) or _sbin(p).exists())]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the hub tests need Debian's slapd. "
            "Run `make test` (it installs slapd and ldap-utils) or "
            "`DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils`.",
            pytrace=False,
        )


def _sbin(name: str) -> Path:
    return Path("/usr/sbin") / name


def make_ca_and_certificate(root: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for `localhost` and 127.0.0.1."""
    root.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = root / "ca.key", root / "ca.crt"
    key, csr, crt = root / "server.key", root / "server.csr", root / "server.crt"
    ext = root / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=labgate test CA", "-keyout", str(ca_key), "-out", str(ca_crt))  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(key), "-out", str(csr))  # fmt: skip
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt))  # fmt: skip
    # slapd runs as root here but reads the key like any server would.
    key.chmod(0o600)
    return ca_crt, crt, key


class TlsDirectory(ThrowawayDirectory):
    """The throwaway directory with a server certificate, so StartTLS works."""

    def __init__(self, *args: object, tls_root: Path, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.ca_file, self.cert_file, self.key_file = make_ca_and_certificate(tls_root)

    def _config(self) -> Path:
        conf = super()._config()
        # TLS settings are global, so they go before the first `database` line.
        text = conf.read_text()
        tls = (
            f"TLSCACertificateFile {self.ca_file}\n"
            f"TLSCertificateFile {self.cert_file}\n"
            f"TLSCertificateKeyFile {self.key_file}\n"
        )
        conf.write_text(text.replace("moduleload back_mdb\n", f"moduleload back_mdb\n{tls}", 1))
        return conf


def start(tmp: Path, *, tls: bool = False) -> Slapd:
    require_binaries()
    if tls:
        directory: ThrowawayDirectory = TlsDirectory(
            entries(), suffix=SUFFIX, root=tmp / "slapd-tls", tls_root=tmp / "pki"
        )
        ca: Path | None = directory.ca_file  # type: ignore[attr-defined]
    else:
        directory, ca = ThrowawayDirectory(entries(), suffix=SUFFIX, root=tmp / "slapd"), None
    directory.start()
    return Slapd(directory, ca)


__all__ = ["PEOPLE_DN", "SUFFIX", "TEMPLATE", "Slapd", "free_port", "password", "start"]
