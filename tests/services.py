"""Real services for the tests: a PostgreSQL cluster and Mosquitto brokers on free ports.

Each test session starts its own instances (pytest-postgresql style) so the suite
runs anywhere PostgreSQL's and Mosquitto's binaries are installed. Where PostgreSQL's
binaries are missing, ``LOCATION_OPS_TEST_PG_URL`` names a server to use instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling a port: there is no event to await
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI and this machine run tests as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster, or an external server named by the environment."""

    port: int = 0
    datadir: Path | None = None
    external_url: str | None = None
    _created: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> PostgresServer:
        if url := os.environ.get("LOCATION_OPS_TEST_PG_URL"):
            return cls(external_url=url)
        bindir = _pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL's binaries (initdb) are not installed and "
                               "LOCATION_OPS_TEST_PG_URL is not set; .ci/run installs them.")
        datadir = Path(tempfile.mkdtemp(prefix="lo-pg-"))
        if os.geteuid() == 0:
            shutil.chown(datadir, "postgres", "postgres")
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        port = free_port()
        options = f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-w",
                                     "-l", str(datadir / "log"), "start"]), check=True, capture_output=True)
        return cls(port=port, datadir=datadir)

    def admin_url(self) -> str:
        if self.external_url:
            return self.external_url
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        base = psycopg.conninfo.conninfo_to_dict(self.admin_url())
        password = f":{base['password']}" if base.get("password") else ""
        return (f"postgresql+psycopg://{base.get('user', 'postgres')}{password}@{base.get('host', '127.0.0.1')}:"
                f"{base.get('port', 5432)}/{name}")

    def stop(self) -> None:
        if self.external_url:
            with psycopg.connect(self.admin_url(), autocommit=True) as connection:
                for name in self._created:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        bindir = _pg_bindir()
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.datadir, ignore_errors=True)


#: deploy/mosquitto.conf: the production broker's configuration, the one source of its queue limits.
DEPLOY_MOSQUITTO_CONF = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto.conf"
#: The options the tests' brokers take from it; listener, authentication and persistence stay their own.
LIMIT_OPTIONS = ("max_queued_messages", "max_queued_bytes", "queue_qos0_messages", "max_inflight_messages",
                 "max_inflight_bytes", "sys_interval", "set_tcp_nodelay")


def deploy_limits(path: Path = DEPLOY_MOSQUITTO_CONF) -> dict[str, str]:
    """The queue-limit options of deploy/mosquitto.conf, as written there (option -> value)."""
    limits: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        option, _, value = line.partition(" ")
        if option in LIMIT_OPTIONS:
            limits[option] = value.strip()
    return limits


@dataclass
class MosquittoBroker:
    """A Mosquitto broker with persistence on, on a free port; can be restarted in place.

    Its queue limits are deploy/mosquitto.conf's (``deploy_limits``); ``limits`` overrides some
    of them for one broker, e.g. ``MosquittoBroker.start(limits={"max_queued_messages": 5})``.
    """

    port: int
    workdir: Path
    process: subprocess.Popen | None = None
    limits: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, port: int | None = None, limits: dict[str, object] | None = None) -> MosquittoBroker:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("mosquitto is not installed; .ci/run installs it.")
        unknown = set(limits or {}) - set(LIMIT_OPTIONS)
        if unknown:
            raise ValueError(f"not a queue-limit option: {sorted(unknown)}")
        workdir = Path(tempfile.mkdtemp(prefix="lo-mqtt-"))
        merged = {**deploy_limits(), **{option: str(value) for option, value in (limits or {}).items()}}
        broker = cls(port=port or free_port(), workdir=workdir, limits=merged)
        broker._launch()
        return broker

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "mosquitto.conf"

    def _launch(self) -> None:
        config = self.config_path
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "autosave_interval 1\n"
            + "".join(f"{option} {value}\n" for option, value in self.limits.items())
            + ("user root\n" if os.geteuid() == 0 else "")
        )
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=open(self.workdir / "log", "ab"))
        wait_for_port(self.port, process=self.process)

    def stop(self, graceful: bool = True) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Stop (saving persistent state) and start again on the same port."""
        self.stop()
        self._launch()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


DEPLOY_DIR = DEPLOY_MOSQUITTO_CONF.parent


@dataclass
class DeployBroker:
    """Mosquitto run with deploy/'s own configuration: its listeners, password files and ACLs.

    deploy/mosquitto.conf is used as written, with only its ports (1883 for the app, 1884
    for devices) moved to free ports on 127.0.0.1 and its paths to a work directory and
    deploy/. The password files are made here with mosquitto_passwd from ``accounts``:
    ``{"bridge": {name: password}, "devices": {name: password}}``.
    """

    app_port: int
    device_port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @classmethod
    def start(cls, accounts: dict[str, dict[str, str]]) -> DeployBroker:
        passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        workdir = Path(tempfile.mkdtemp(prefix="lo-mqtt-deploy-"))
        for listener in ("bridge", "devices"):
            path = workdir / f"{listener}.passwd"
            path.touch(mode=0o600)
            for name, password in accounts.get(listener, {}).items():
                subprocess.run([passwd, "-b", str(path), name, password], check=True, capture_output=True)
        broker = cls(app_port=free_port(), device_port=free_port(), workdir=workdir)
        config = DEPLOY_MOSQUITTO_CONF.read_text()
        replacements = {"listener 1883\n": f"listener {broker.app_port} 127.0.0.1\n",
                        "listener 1884\n": f"listener {broker.device_port} 127.0.0.1\n",
                        "/mosquitto/data/": f"{workdir}/", "/mosquitto/config/": f"{DEPLOY_DIR}/"}
        for old, new in replacements.items():
            assert old in config, f"deploy/mosquitto.conf no longer has {old!r}: update DeployBroker"
            config = config.replace(old, new)
        (workdir / "mosquitto.conf").write_text(config + ("user root\n" if os.geteuid() == 0 else ""))
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        broker.process = subprocess.Popen([binary, "-c", str(workdir / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                                          stderr=open(workdir / "log", "ab"))
        wait_for_port(broker.app_port, process=broker.process)
        wait_for_port(broker.device_port, process=broker.process)
        return broker

    def log(self) -> str:
        return (self.workdir / "log").read_text(errors="replace")

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)
