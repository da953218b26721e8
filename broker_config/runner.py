"""Run a real Mosquitto on the project's generated config (tests, the demo, a technician's check).

The main ``mosquitto.conf`` is used unchanged; only ``conf.d/zz-local.conf``
(listener with the production listeners' identity binding, ``user root`` when
running as root) is written here, so what the tests exercise is exactly what
a hub runs.  Readiness means the broker
answered an MQTT CONNECT, not merely that the port is open.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import weakref
from pathlib import Path

import paho.mqtt.client as mqtt

from mqttlink.paho_setup import make_client

from .generate import LISTENER_IDENTITY, BrokerFiles

LOCAL_FILE = "zz-local.conf"
LOG_FILE = "mosquitto.log"
POLL_S = 0.005
#: Mosquitto 2.0's log lines (connection_messages true) for an accepted login and for a takeover
LOGIN_RE = re.compile(r"New client connected from \S+ as (\S+) \(p\d, c\d, k\d+, u'([^']*)'\)")
TAKEOVER = "already connected, closing old connection."


class BrokerError(RuntimeError):
    """Mosquitto is missing, would not start, or did not answer; the message has the log tail."""


def find_mosquitto() -> str:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BrokerError("Mosquitto is not installed (apt install mosquitto; ./onestop setup does it)")


class Mosquitto:
    """One broker process on a generated config directory.

    ``files`` is a ``BrokerFiles``, a config directory or its mosquitto.conf.
    ``port=None`` picks a free port on ``host`` at the first start and keeps it
    for every restart, so clients can reconnect to the same address.
    """

    def __init__(self, files: BrokerFiles | Path | str, port: int | None = None,
                 host: str = "127.0.0.1", data_dir: Path | str | None = None,
                 ready_timeout: float = 10.0):
        conf = files.conf if isinstance(files, BrokerFiles) else Path(files)
        if conf.is_dir():
            conf = conf / "mosquitto.conf"
        if not conf.is_file():
            raise BrokerError(f"{conf}: no Mosquitto config there (write it with write_broker_files)")
        self.conf = conf.resolve()
        settings = _settings(self.conf)
        if "include_dir" not in settings:
            raise BrokerError(f"{self.conf}: has no include_dir, so no listener can be added")
        self.conf_d = Path(settings["include_dir"])
        self.data_dir = Path(settings["persistence_location"]) if "persistence_location" in settings else None
        if data_dir is not None and (self.data_dir is None or Path(data_dir).resolve() != self.data_dir.resolve()):
            raise BrokerError("Mosquitto 2.0 refuses a second persistence_location in an include file; "
                              "pass data_dir to write_broker_files instead")
        self.host = host
        self.port = port
        self.ready_timeout = ready_timeout
        self.log_path = self.conf.parent / LOG_FILE
        self._box: dict = {}  # the running process, shared with the finalizer
        self._finalizer = weakref.finalize(self, _kill_quietly, self._box)

    # --- lifecycle --------------------------------------------------------------
    @property
    def running(self) -> bool:
        proc = self._box.get("proc")
        return proc is not None and proc.poll() is None

    @property
    def pid(self) -> int | None:
        proc = self._box.get("proc")
        return proc.pid if proc is not None else None

    def start(self) -> "Mosquitto":
        if self.running:
            return self
        pick = self.port is None
        for attempt in range(3 if pick else 1):
            if pick:
                self.port = free_port(self.host)
            self._spawn()
            try:
                self._wait_ready()
                return self
            except BrokerError:
                if pick and attempt < 2 and "Address already in use" in self.log_text():
                    continue  # another process took the port between picking and binding
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: Mosquitto saves its database and exits cleanly."""
        proc = self._box.get("proc")
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._forget()

    def kill(self) -> None:
        """SIGKILL: a power cut for the broker; only what autosave wrote survives."""
        proc = self._box.get("proc")
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._forget()

    def restart(self) -> "Mosquitto":
        """Stop (if running) and start again on the same port."""
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        (self.conf_d / LOCAL_FILE).unlink(missing_ok=True)

    def __enter__(self) -> "Mosquitto":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def logins(self) -> list[tuple[str, str]]:
        """(client id, user name) of every connection the broker accepted, from its log."""
        return LOGIN_RE.findall(self.log_text())

    def takeovers(self) -> list[str]:
        """Log lines of connections thrown off because another one came with their client id."""
        return [line for line in self.log_text().splitlines() if line.endswith(TAKEOVER)]

    # --- internals ----------------------------------------------------------------
    def _spawn(self) -> None:
        lines = ["# Written by broker_config.runner for this run; removed by close().",
                 f"listener {self.port} {self.host}", LISTENER_IDENTITY.rstrip("\n")]
        if os.geteuid() == 0:
            lines.append("user root")  # otherwise Mosquitto drops to the `mosquitto` user
        (self.conf_d / LOCAL_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        log = open(self.log_path, "ab")
        log.write(f"--- starting {self.conf} on {self.host}:{self.port}\n".encode())
        log.flush()
        self._box["log"] = log
        self._box["proc"] = subprocess.Popen([find_mosquitto(), "-c", str(self.conf)],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def _wait_ready(self) -> None:
        proc = self._box["proc"]
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if proc.poll() is not None:
                code = proc.returncode
                self._forget()
                raise BrokerError(f"mosquitto exited with code {code} at start:\n{self._tail()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise BrokerError(f"mosquitto did not answer on {self.host}:{self.port} within "
                                  f"{self.ready_timeout} s:\n{self._tail()}")
            if mqtt_answers(self.host, self.port, min(remaining, 1.0)):
                return
            time.sleep(POLL_S)

    def _tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _forget(self) -> None:
        self._box.pop("proc", None)
        log = self._box.pop("log", None)
        if log is not None:
            log.close()


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def mqtt_answers(host: str, port: int, timeout: float) -> bool:
    """True when something on host:port accepts TCP and answers an MQTT v5 CONNECT with a CONNACK.

    The probe's credentials are refused on purpose: any CONNACK means the
    broker has loaded its config and is serving.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError:
        return False
    answers: list = []
    client = make_client("onestop-readiness-probe", "onestop-readiness-probe", "not-a-password")
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason)
    try:
        client.connect(host, port, keepalive=5)
        end = time.monotonic() + timeout
        while not answers and time.monotonic() < end:
            if client.loop(timeout=POLL_S) != mqtt.MQTT_ERR_SUCCESS and not answers:
                break
    except OSError:
        return False
    finally:
        sock = client.socket()
        if sock is not None:
            sock.close()
    return bool(answers)


def _settings(conf: Path) -> dict[str, str]:
    """The single-valued options of a Mosquitto config (last one wins), for paths we need."""
    settings: dict[str, str] = {}
    for line in conf.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and " " in line:
            key, value = line.split(None, 1)
            settings[key] = value.strip()
    return settings


def _kill_quietly(box: dict) -> None:
    """Garbage collection or interpreter exit must not leave a broker running."""
    proc = box.get("proc")
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()
    log = box.get("log")
    if log is not None:
        log.close()
