"""The real server, `omni serve`, in a process of its own on a free loopback port: for
the tests that only a real socket shows (floods, timeouts, bodies never read)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

OMNI = Path(sys.executable).with_name("omni")


@dataclass(frozen=True)
class LiveServer:
    url: str
    host: str
    port: int
    pid: int

    def memory_kib(self, field: str) -> int:
        """A line of /proc/<pid>/status in KiB: `VmRSS` now, `VmHWM` its peak so far."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise LookupError(field)

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=15)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(database_url: str, workdir: Path, **settings: str) -> Iterator[LiveServer]:
    """`omni serve` (one worker) on `database_url`, with OMNI_* `settings`; stopped after."""
    port = _free_port()
    env = {
        **os.environ,
        "OMNI_ENV": "test",
        "OMNI_DATABASE_URL": database_url,
        "OMNI_HOST": "127.0.0.1",
        "OMNI_PORT": str(port),
        "OMNI_WORKERS": "1",
        "OMNI_INPROCESS_WORKER": "off",  # the tests' database: no jobs of the worker's
        "OMNI_LOG_LEVEL": "warning",
        **{f"OMNI_{k.upper()}": v for k, v in settings.items()},
    }
    log = (workdir / f"server-{port}.log").open("wb")
    # S603: our own command line, no input from outside.
    proc = subprocess.Popen(  # noqa: S603
        [str(OMNI), "serve"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    server = LiveServer(f"http://127.0.0.1:{port}", "127.0.0.1", port, proc.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (workdir / f"server-{port}.log").read_text()
            try:
                if httpx.get(f"{server.url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
