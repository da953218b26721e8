"""The counter's keyboard console (``onestop-counter --console``): a desk without
buttons, a bench test, or a technician checking a counter's link.

One line per press: n = next, r = recall, x = no-show, f = finish,
t SERVICE = transfer, p = pause, o = open, c = close, q = quit.
"""

from __future__ import annotations

import sys

from mqttlink.link import LinkError, RequestRefused

KEYS = {"n": ("call_next", {}), "r": ("recall", {}), "x": ("no_show", {}), "f": ("finish", {}),
        "p": ("counter_status", {"status": "paused"}), "o": ("counter_status", {"status": "open"}),
        "c": ("counter_status", {"status": "closed"})}


def command(line: str) -> tuple[str, dict] | None:
    """Turn one typed line into (action, fields); None for an unknown line."""
    parts = line.split()
    if not parts:
        return None
    if parts[0] == "t" and len(parts) == 2:
        return "transfer", {"service": parts[1]}
    return KEYS.get(parts[0])


def describe(action: str, result: dict) -> str:
    ticket = result.get("ticket")
    if action in ("call_next", "call_ticket"):
        return f"now serving {ticket['code']}" if ticket else f"nobody waiting ({result['waiting']})"
    if action == "counter_status":
        return f"counter {result['status']}, {result['waiting']} waiting"
    return f"{ticket['code']}: {ticket['status']}" + (f" in {ticket['service']}" if action == "transfer" else "")


def run_console(device, link) -> int:
    """Read commands from standard input until ``q`` or its end."""
    link.start()
    if not link.wait_connected(10):
        print(f"{device.device_id}: the broker does not answer yet; keeps trying", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "q":
                break
            parsed = command(line)
            if parsed is None:
                print("keys: n r x f p o c, t SERVICE, q", flush=True)
                continue
            action, fields = parsed
            try:
                print(describe(action, link.request(action, **fields)), flush=True)
            except RequestRefused as exc:
                print(f"refused: {exc}", flush=True)
            except LinkError as exc:
                print(f"no answer from the hub ({exc}); press again when the link is back", flush=True)
    finally:
        link.close()
    return 0
