"""A real Synapse for the tests: installed once into its own venv, started on a free loopback port.

Why its own venv (build/synapse/venv, kept between runs): Synapse pins many dependencies (Twisted,
its own pydantic range…) that must not mix with the project's. It is installed from PyPI with pip
on first use, under a file lock so parallel test workers install it once. Each session generates
a config (SQLite, loopback only, `trusted_key_servers: []`, the appservice registration written
by `rsemigrate matrix register`), starts Synapse and stops it by its pid, never by name.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SYNAPSE = "matrix-synapse==1.163.2"
ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "synapse"
START_TIMEOUT = 90.0
SERVER_NAME = "localhost"

LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s %(name)s %(levelname)s %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {log}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""

HOMESERVER = """\
server_name: "{server_name}"
pid_file: "{folder}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{folder}/homeserver.db"
log_config: "{folder}/log.yaml"
media_store_path: "{folder}/media"
signing_key_path: "{folder}/signing.key"
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
app_service_config_files: ["{registration}"]
macaroon_secret_key: "{secret}"
form_secret: "{secret}"
enable_registration: false
presence:
  enabled: false
"""


def ensure_installed(build: Path = BUILD) -> Path:
    """The python of a venv with Synapse, installing it on first use (~20-40 s, ~250 MB)."""
    venv = build / "venv"
    python = venv / "bin" / "python"
    marker = venv / f".installed-{SYNAPSE}"
    build.mkdir(parents=True, exist_ok=True)
    with open(build / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            done = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", SYNAPSE],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise RuntimeError(
                    f"pip install {SYNAPSE} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
                )
            marker.touch()
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Homeserver:
    """One Synapse process over a config folder; `restart` keeps its data (and loses its caches)."""

    python: Path
    folder: Path
    registration: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def configure(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "log.yaml").write_text(LOG_CONFIG.format(log=self.folder / "homeserver.log"))
        config = self.folder / "homeserver.yaml"
        config.write_text(HOMESERVER.format(server_name=SERVER_NAME, folder=self.folder, port=self.port,
                                            registration=self.registration, secret=os.urandom(16).hex()))
        subprocess.run([str(self.python), "-m", "synapse.app.homeserver", "--config-path", str(config),
                        "--generate-keys"], check=True, capture_output=True)

    def start(self) -> None:
        assert self.process is None, "already started"
        log = open(self.folder / "stdout.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                str(self.python),
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(self.folder / "homeserver.yaml"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.process.returncode}: "
                                   + (self.folder / "stdout.log").read_text(errors="replace")[-2000:])
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"Synapse did not answer within {START_TIMEOUT:.0f} s (see {self.folder}/homeserver.log)"
        )

    def stop(self) -> None:
        """SIGTERM by pid, SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()
