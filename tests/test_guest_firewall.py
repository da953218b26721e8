"""The guest network's firewall (issue 16), tried for real: two network namespaces on a veth
"guest" link, the machine's side with the shipped nftables rules (provisioning.guestnet) and
listeners on the page port, the broker's ports, SSH and NTP; from the phone's side only the page
port answers.  Needs root, ``ip`` and ``nft``: skipped without them, failed under ``CI=true``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from provisioning.guestnet import rules_text

PORTS_TCP = (80, 1883, 8883, 22)
PORT_NTP = 123

LISTEN = textwrap.dedent("""
    import socket, sys, threading
    def tcp(port):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port)); s.listen(8)
        while True:
            c, _ = s.accept(); c.sendall(b"ok"); c.close()
    def udp(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
        while True:
            data, peer = s.recvfrom(64); s.sendto(b"ok", peer)
    for p in %r:
        threading.Thread(target=tcp, args=(p,), daemon=True).start()
    threading.Thread(target=udp, args=(%d,), daemon=True).start()
    print("listening", flush=True)
    sys.stdin.read()
""") % (PORTS_TCP, PORT_NTP)

PROBE = textwrap.dedent("""
    import json, socket, sys
    target = sys.argv[1]
    out = {}
    for p in %r:
        try:
            with socket.create_connection((target, p), timeout=1.0) as c:
                out[str(p)] = c.recv(2).decode()
        except OSError as e:
            out[str(p)] = type(e).__name__
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0)
    s.sendto(b"ntp?", (target, %d))
    try:
        out["123/udp"] = s.recv(2).decode()
    except OSError as e:
        out["123/udp"] = type(e).__name__
    print(json.dumps(out))
""") % (PORTS_TCP, PORT_NTP)


def need_namespaces() -> None:
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    problem = f"needs {' and '.join(missing)}" if missing else ("needs root (network namespaces)"
                                                                if os.geteuid() != 0 else None)
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the guest firewall test {problem}")
        pytest.skip(problem)


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


@pytest.fixture
def guest_link(tmp_path):
    """Three namespaces: the phone (phone0 10.99.0.2, its route through the machine), the page server's
    machine (guest0 10.99.0.1 on the guest link, lan0 10.20.0.1 on the staff LAN, forwarding on) and a
    staff LAN machine (10.20.0.2); listeners on the machine and on the LAN machine."""
    need_namespaces()
    tag = f"{os.getpid() % 100000}"
    machine, phone, lan = f"ogm{tag}", f"ogp{tag}", f"ogl{tag}"
    for ns in (machine, phone, lan):
        sh("ip", "netns", "add", ns)
    listeners = []
    try:
        sh("ip", "link", "add", "guest0", "netns", machine, "type", "veth", "peer", "name", "phone0", "netns", phone)
        sh("ip", "link", "add", "lan0", "netns", machine, "type", "veth", "peer", "name", "staff0", "netns", lan)
        for ns, dev, address in ((machine, "guest0", "10.99.0.1/24"), (phone, "phone0", "10.99.0.2/24"),
                                 (machine, "lan0", "10.20.0.1/24"), (lan, "staff0", "10.20.0.2/24")):
            sh("ip", "-n", ns, "addr", "add", address, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", phone, "route", "add", "default", "via", "10.99.0.1")
        sh("ip", "-n", lan, "route", "add", "default", "via", "10.20.0.1")
        sh("ip", "netns", "exec", machine, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for ns in (machine, lan):
            listener = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", LISTEN],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            listeners.append(listener)
            assert listener.stdout.readline().strip() == "listening"
        yield machine, phone
    finally:
        for listener in listeners:
            listener.kill()
            listener.wait()
        for ns in (machine, phone, lan):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def probe(phone: str, target: str = "10.99.0.1") -> dict:
    out = subprocess.run(["ip", "netns", "exec", phone, sys.executable, "-c", PROBE, target], capture_output=True,
                         text=True, check=True, timeout=30)
    return json.loads(out.stdout)


def test_a_phone_on_the_guest_link_reaches_the_page_port_and_nothing_else(guest_link, tmp_path):
    machine, phone = guest_link
    # without the rules every listener answers, the staff LAN's through the machine too: the probe can
    # tell open from closed
    everything = {"80": "ok", "1883": "ok", "8883": "ok", "22": "ok", "123/udp": "ok"}
    assert probe(phone) == everything and probe(phone, "10.20.0.2") == everything
    rules = tmp_path / "onestop-guest.nft"
    rules.write_text(rules_text("guest0", 80), encoding="utf-8")
    sh("ip", "netns", "exec", machine, "nft", "-f", str(rules))
    reached = probe(phone)
    assert reached["80"] == "ok", "the page port"
    assert {k: v for k, v in reached.items() if k != "80"} == {
        "1883": "TimeoutError", "8883": "TimeoutError", "22": "TimeoutError", "123/udp": "TimeoutError"}
    # nothing is forwarded from the guest link to the staff LAN, not even the page port there
    assert set(probe(phone, "10.20.0.2").values()) == {"TimeoutError"}
    # loading it again replaces the table instead of adding a second one (a reload of nftables)
    sh("ip", "netns", "exec", machine, "nft", "-f", str(rules))
    listed = subprocess.run(["ip", "netns", "exec", machine, "nft", "list", "tables"], capture_output=True,
                            text=True, check=True).stdout
    assert listed.count("onestop_guest") == 1
