"""``onestop-demo``: a whole simulated centre on one machine, until Ctrl-C.

Mosquitto runs on the project's generated config (per-device credentials,
ACLs), the hub runs beside it, and every kiosk, counter and display of the
site file is played by a simulated device with its own login.  What happens
is printed so a person can follow the day.

A login is one connection (the broker binds the client id to the identity),
so the real Kivy kiosk and wall screen are the only connection of their
devices: the kiosk's visitors are whoever taps its window (the other ticket
kiosks' simulated visitors come more often, so the centre's arrivals stay the
same), and what the wall screen shows is printed, like the waiting counts, by
the demo's read-only observer (``monitor.observer``).
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
from pathlib import Path

from contract.topics import HUB_ID
from display.demo import open_window, screen_present, sound_present
from hub.content import read_content
from kiosk.demo import open_kiosk
from siteconf import EXAMPLE_SITE, SiteFileError, load_site
from siteconf.limits import MAX_TICKET_NUMBER
from siteconf.schema import Site

from .actors import Clerk, VisitorStream, WallDisplay, now_hms, waiting_summary
from .centre import LocalCentre
from .desk import open_desk
from .windows import arrange, screen_size


def in_demo_time(site: Site, speed: float) -> Site:
    """The site with its request rates sped up like the simulated time, and its daily ticket quotas
    shared out to the most the numbering allows: a demo's day passes in minutes of the hub's real
    clock, so a kiosk keeping to a real day's pace would otherwise meet the real limits."""
    issuers = [d for d in site.devices if d.role == "counter" or (d.role == "kiosk" and "tickets" in d.kiosk_modes)]
    quota = MAX_TICKET_NUMBER // max(1, len(issuers))
    limits = {role: getattr(site.limits, role).model_copy(update={
        "requests_per_s": getattr(site.limits, role).requests_per_s * max(1.0, speed),
        "tickets_per_day": min(quota, MAX_TICKET_NUMBER)}) for role in ("kiosk", "counter", "display", "hub")}
    devices = [d.model_copy(update={"limits": None}) for d in site.devices]
    return site.model_copy(update={"limits": site.limits.model_copy(update=limits), "devices": devices})


def _page_server(centre: LocalCentre, port: int):
    """The visitors' page server of the demo centre, on ``port`` or, when that one is taken, any."""
    import socket
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            port = 0
    return centre.guest_pages(port=port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(EXAMPLE_SITE), help="site file (default: the CNAI Lisboa example)")
    parser.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second")
    parser.add_argument("--visitor-gap", type=float, default=45.0, help="mean simulated seconds between visitors per kiosk")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many real seconds (0 = until Ctrl-C)")
    parser.add_argument("--workdir", help="where the broker files and the hub database go (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-screen", action="store_true", help="no wall display window even when a screen is there")
    parser.add_argument("--no-kiosk", action="store_true", help="no Kivy kiosk (window, or offscreen when headless)")
    parser.add_argument("--guest-port", type=int, default=8080,
                        help="the visitors' phone pages on 127.0.0.1:PORT (0: any free port)")
    parser.add_argument("--leave", action="append", default=[], metavar="DEVICE",
                        help="do not play this device: its device file is written and you run its role yourself")
    args = parser.parse_args(argv)

    try:
        site = in_demo_time(load_site(args.site), args.speed)
    except SiteFileError as exc:
        print(f"onestop-demo: {exc}", file=sys.stderr)
        return 2
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="onestop-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    stop = threading.Event()
    print_lock = threading.Lock()

    def say(who: str, what: str) -> None:
        with print_lock:
            print(f"{now_hms()}  {who:<16} {what}", flush=True)

    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    centre = LocalCentre(site, workdir, content=read_content(site, args.site))
    windows: list = []  # the real wall screen process, when a screen is there
    kiosks: list = []  # the real Kivy kiosk (a window, or offscreen)
    try:
        centre.start()
        say("centre", f"{site.site.name}: Mosquitto on 127.0.0.1:{centre.port} (config in {centre.files.out_dir}), "
                      f"hub database {centre.database}")
        say("centre", f"{len(site.services)} services, {len(site.counters)} counters, {len(site.devices)} devices; "
                      f"time runs x{args.speed:g} (so do the devices' request limits). Ctrl-C stops.")
        pages = _page_server(centre, args.guest_port)
        say("centre", f"visitors' phone pages on {pages.url}/t/<ref> (on the guest Wi-Fi: the tickets' QR codes)")
        actors = []
        common = dict(site=site, say=say, speed=args.speed, stop=stop)
        observer = centre.monitor("observer")  # reads state and events, sends nothing
        shown = next((d.id for d in site.devices if d.role == "display"), None)
        if args.no_screen or not screen_present():
            shown = None
        # one ticket kiosk is the real Kivy app (its visitors are whoever taps it); the others are simulated
        left = set(args.leave)
        unknown = left - {d.id for d in site.devices if d.role != "hub"}
        if unknown:
            say("centre", f"--leave: no such device {', '.join(sorted(unknown))}")
            return 2
        for device_id in sorted(left):
            path = centre.write_device_file(device_id, workdir / "devices" / f"{device_id}.toml")
            say(device_id, f"left to you: .venv/bin/onestop-{site.device(device_id).role} --device {path}")
        if shown in left:
            shown = None
        # with a screen, one counter of the wall screen's zone is the real counter firmware in a window
        desk_id = _desk_device(site, shown, left) if shown and not args.no_kiosk else None
        ticket_kiosks = [d.id for d in site.devices if d.role == "kiosk" and "tickets" in d.kiosk_modes
                         and d.id not in left]
        kiosk_id = ticket_kiosks[0] if len(ticket_kiosks) > 1 and not args.no_kiosk else None
        simulated = [k for k in ticket_kiosks if k != kiosk_id]
        gap = args.visitor_gap * len(simulated) / len(ticket_kiosks) if ticket_kiosks else args.visitor_gap
        for device in site.devices:
            if device.id in left:
                continue
            if device.id in simulated:
                actors.append(VisitorStream(centre.link(device.id), rng=random.Random(rng.random()), gap_s=gap,
                                            pages=pages.url, **common))
            elif device.role == "counter" and device.id != desk_id:
                actors.append(Clerk(centre.link(device.id), rng=random.Random(rng.random()),
                                    counter_id=device.counter, **common))
            elif device.role == "display":
                # the wall screen is the display's own login; its printout is the observer's
                link = observer if device.id == shown else centre.link(device.id)
                actors.append(WallDisplay(link, rng=random.Random(rng.random()), zone=site.device_zone(device),
                                          name=device.id, **common))
        places = arrange(*(screen_size() or (1920, 1080)))
        if kiosk_id:
            kiosk = open_kiosk(centre, kiosk_id, workdir, windowed=screen_present() and not args.no_screen,
                               place=places.kiosk)
            kiosks.append(kiosk)
            say(kiosk_id, ("kiosk window opened" if kiosk.windowed else "kiosk running offscreen (no screen)")
                + f"; it prints to {kiosk.printer_file}, tickets drawn in {kiosk.tickets_dir}")
        if shown:
            windows.append(open_window(centre, shown, workdir, size=places.wall.size, env=places.wall.env()))
            say("centre", f"wall screen of {shown} opened" + ("" if sound_present() else " (no sound device: silent)"))
        if desk_id:
            counter = site.counter(site.device(desk_id).counter)
            service = site.service(counter.services[0].service)
            minutes = service.service_minutes or site.policies.default_service_minutes
            auto_s = max(3.0, minutes * 60 / args.speed)
            name = counter.name.get(site.site.default_language) or next(iter(counter.name.values()))
            windows.append(open_desk(centre, desk_id, workdir, places.desk, auto_s,
                                     f"{name} ({desk_id}): the counter firmware on gpiozero MockFactory pins"))
            say(desk_id, f"counter desk window opened: its firmware presses NEXT every {auto_s:.0f} s "
                         "unless you press its buttons")
        states: dict[str, dict] = {}
        watcher_lock = threading.Lock()

        def on_state(topic: str, state: dict) -> None:
            if state:
                with watcher_lock:
                    states[state["service"]] = state

        observer.subscribe(observer.topics.service_state("+"), on_state)
        for actor in actors:
            actor.start()
        ticks = 0
        while not stop.wait(5):
            ticks += 5
            with watcher_lock:
                say(HUB_ID, waiting_summary(site, states))
            for kiosk in kiosks:
                for ticket in kiosk.new_tickets():
                    say(kiosk.device_id, f"printed ticket {ticket.stem} (drawn in {ticket})")
            if args.duration and ticks >= args.duration:
                break
    finally:
        stop.set()
        for kiosk in kiosks:  # first: a print below may fail (a closed pipe) and skip the rest
            kiosk.stop()
        say("centre", "stopping")
        for window in windows:
            window.terminate()
        centre.close()
    return 0


def _desk_device(site: Site, display_id: str, left: set[str]) -> str | None:
    """The counter device the demo shows as a desk: one of the wall screen's zone, with an LCD if any has,
    without a printer if it can (the sorting office's USB printer is not on the demo's machine)."""
    zone = site.device_zone(site.device(display_id))
    desks = [d for d in site.devices if d.role == "counter" and d.id not in left
             and site.counter(d.counter).zone == zone]
    desks.sort(key=lambda d: (d.small_display.kind != "lcd_i2c", d.printer.connector != "none", d.id))
    return desks[0].id if desks else None


if __name__ == "__main__":
    sys.exit(main())
