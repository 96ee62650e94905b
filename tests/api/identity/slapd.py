"""A throwaway OpenLDAP server for the LDAP identity tests: Debian's slapd binary, run in
the foreground on a free loopback port with its own slapd.conf, database, pid and args
files in a temporary directory; never the system's daemon or its configuration."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port

SLAPD = Path("/usr/sbin/slapd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
SUFFIX = "dc=nimbus,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "directory-secret"


def ldap_tools_missing() -> str | None:
    """Why the slapd tests cannot run here (scripts/_lib.sh installs slapd and ldap-utils)."""
    if not SLAPD.exists():
        return "slapd is not installed (Debian package slapd)"
    if shutil.which("ldapadd") is None:
        return "ldapadd is not installed (Debian package ldap-utils)"
    return None


@dataclass
class Slapd:
    workdir: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def ldap(self, tool: str, ldif: str) -> None:
        """ldapadd / ldapmodify / ldapdelete as the directory manager."""
        args = [tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD]
        if tool == "ldapdelete":
            run = subprocess.run([*args, *ldif.split()], capture_output=True, text=True,
                                 timeout=30)
        else:
            run = subprocess.run(args, input=textwrap.dedent(ldif), capture_output=True,
                                 text=True, timeout=30)
        if run.returncode != 0:
            raise AssertionError(f"{tool} failed ({run.returncode}): {run.stderr}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _config(workdir: Path) -> str:
    return textwrap.dedent(f"""\
        include {SCHEMAS}/core.schema
        include {SCHEMAS}/cosine.schema
        include {SCHEMAS}/inetorgperson.schema
        pidfile {workdir}/slapd.pid
        argsfile {workdir}/slapd.args
        modulepath {MODULES}
        moduleload back_mdb
        access to attrs=userPassword by self read by anonymous auth by * none
        access to * by * read
        database mdb
        maxsize 16777216
        suffix "{SUFFIX}"
        rootdn "{ROOT_DN}"
        rootpw {ROOT_PASSWORD}
        directory {workdir}/db
        """)


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("slapd did not listen within 20 s")


def start_slapd() -> Slapd:
    workdir = Path(tempfile.mkdtemp(prefix="nimbus-slapd-"))
    (workdir / "db").mkdir()
    conf = workdir / "slapd.conf"
    conf.write_text(_config(workdir))
    port = free_port()
    log = workdir / "slapd.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(SLAPD), "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_for(port, process, log)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Slapd(workdir, port, process)
