"""A private PostgreSQL cluster for tests that restart or crash the database server.

The machine's shared server (TRADELEDGER_TEST_DATABASE_URL) serves every engineer's tests at once, so a test that
restarts PostgreSQL must never touch it: this starts a cluster of its own (initdb into a temporary folder, trust
authentication, a free loopback port), restarts it with `pg_ctl` (`immediate` is the crash: no checkpoint, the
next start replays the WAL) and stops it at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

START_TIMEOUT_S = 60


def postgres_bin() -> Path | None:
    """The folder of the newest PostgreSQL server binaries on the machine (Debian's layout), if any."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgCluster:
    """One PostgreSQL cluster in `folder`, owned by the current user (or `postgres` when running as root, which
    PostgreSQL refuses to run as), started with the server `settings` given (`name=value`) beside its own."""

    def __init__(self, folder: Path, bin_dir: Path, settings: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.settings = settings
        self.data = folder / "pgdata"
        self.log = folder / "postgres.log"
        self.bin = bin_dir
        self.port = free_port()
        self._as_root = os.geteuid() == 0

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self._as_root:  # PostgreSQL will not run as root: its files and processes belong to `postgres`
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=START_TIMEOUT_S + 30)
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}\n{tail}")
        return result

    def init(self) -> None:
        if self._as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=on -c synchronous_commit=on"
        options += "".join(f" -c {setting}" for setting in self.settings)
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_S),
                  "-o", options)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", str(START_TIMEOUT_S))

    def restart(self, *, crash: bool) -> None:
        """Stop (`immediate` when `crash`: what a power loss leaves, recovered from the WAL) and start again."""
        self.stop("immediate" if crash else "fast")
        self.start()

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                                     autocommit=True) as connection:  # fmt: skip
                    connection.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@contextmanager
def private_cluster(*settings: str) -> Iterator[PgCluster]:
    """A started private cluster (with these server `settings`), stopped (and its files removed) afterwards. Its
    folder is a fresh one under the system's temporary directory: pytest's own are private to the current user, whom
    `postgres` may not be."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    folder = Path(tempfile.mkdtemp(prefix="tradeledger-pg-"))
    cluster = PgCluster(folder, bin_dir, settings)
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("fast")
        shutil.rmtree(folder, ignore_errors=True)
