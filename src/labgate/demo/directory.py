"""A throwaway OpenLDAP server (Debian's slapd) on loopback, for the demo and the tests.

It stands in for an institution's directory: people are `inetOrgPerson` entries under
`ou=people,<suffix>` with salted SHA passwords. It is started from a generated slapd.conf,
seeded with slapadd, and listens only on 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ldap3.utils.dn import escape_rdn

SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")


@dataclass(frozen=True)
class DirectoryEntry:
    uid: str
    cn: str
    password: str
    mail: str = ""


def ssha(password: str) -> str:
    """The {SSHA} form slapd checks passwords against."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _ldif_value(value: str) -> str:
    # Base64 whenever the value is not plain ASCII or starts with a character LDIF reserves.
    if value.isascii() and value.isprintable() and not value.startswith((" ", ":", "<")):
        return f" {value}"
    return ": " + base64.b64encode(value.encode()).decode()


def seed_ldif(suffix: str, entries: Iterable[DirectoryEntry]) -> str:
    top = suffix.split(",")[0].split("=")[1]
    blocks = [
        f"dn: {suffix}\nobjectClass: dcObject\nobjectClass: organization\no: {top}\ndc: {top}\n",
        f"dn: ou=people,{suffix}\nobjectClass: organizationalUnit\nou: people\n",
    ]
    for e in entries:
        dn = f"uid={escape_rdn(e.uid)},ou=people,{suffix}"
        lines = [
            f"dn:{_ldif_value(dn)}",
            "objectClass: inetOrgPerson",
            f"uid:{_ldif_value(e.uid)}",
            f"cn:{_ldif_value(e.cn)}",
            f"sn:{_ldif_value(e.cn.split()[-1] if e.cn.split() else e.uid)}",
            f"userPassword:{_ldif_value(ssha(e.password))}",
        ]
        if e.mail:
            lines.append(f"mail: {e.mail}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayDirectory:
    """Start with `start()`, stop with `stop()`; `port`, `suffix` and `people_dn` tell where."""

    def __init__(self, entries: Iterable[DirectoryEntry], *, suffix: str = "dc=labgate,dc=test",
                 port: int | None = None, root: Path | None = None) -> None:  # fmt: skip
        self.entries = list(entries)
        self.suffix = suffix
        self.port = port or free_port()
        self.root = root or Path(tempfile.mkdtemp(prefix="labgate-slapd-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def people_dn(self) -> str:
        return f"ou=people,{self.suffix}"

    @property
    def bind_dn_template(self) -> str:
        return f"uid={{username}},{self.people_dn}"

    def _config(self) -> Path:
        slapd = shutil.which("slapd") or "/usr/sbin/slapd"
        if not Path(slapd).exists():
            raise RuntimeError(
                "slapd is not installed: install Debian's slapd and ldap-utils "
                "(make demo and make test do this)."
            )
        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        includes = "\n".join(f"include {SCHEMA_DIR / s}.schema" for s in SCHEMAS)
        conf = self.root / "slapd.conf"
        conf.write_text(
            f"{includes}\npidfile {self.root}/slapd.pid\nmodulepath {MODULE_DIR}\n"
            "moduleload back_mdb\n"
            f'database mdb\nmaxsize 104857600\nsuffix "{self.suffix}"\n'
            f'rootdn "cn=admin,{self.suffix}"\ndirectory {data}\n'
            "access to attrs=userPassword by anonymous auth by self read by * none\n"
            "access to * by * read\n"
        )
        (self.root / "seed.ldif").write_text(seed_ldif(self.suffix, self.entries))
        subprocess.run(
            ["slapadd", "-f", str(conf), "-l", str(self.root / "seed.ldif")],
            check=True, capture_output=True,
        )  # fmt: skip
        return conf

    def start(self, timeout_seconds: float = 15) -> None:
        conf = self._config()
        slapd = shutil.which("slapd") or "/usr/sbin/slapd"
        # -d 0 keeps slapd in the foreground, so it is our child and dies with us.
        self.process = subprocess.Popen(
            [slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{self.port}/", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited at start (status {self.process.returncode}).")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening in time.")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
