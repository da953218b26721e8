"""A simulated centre for kiosk UI tests: the CNAI Lisboa site, its content pack, a real broker and hub.

The kiosk under test is ``kiosk-01`` with a screen of the test window's size, a
File printer in the test's folder and short timeouts; ``kiosk_device_file``
writes the bootstrap file a kiosk process starts from.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from hub.content import read_content
from siteconf import EXAMPLE_SITE, parse_site
from siteconf.content import content_folder
from simulator.centre import LocalCentre

KIOSK = "kiosk-01"
#: panels the tests use: (width, height, diagonal in inches)
SMALL_PANEL = (800, 480, 7.0)
MEDIUM_PANEL = (1280, 800, 10.1)


def kiosk_site_dict(panel=MEDIUM_PANEL, printer: dict | None = None, idle_timeout_s: float = 30,
                    ticket_screen_s: float = 30, modes: list[str] | None = None,
                    scanner: dict | None = None) -> dict:
    data = tomllib.loads(EXAMPLE_SITE.read_text(encoding="utf-8"))
    data["kiosk"].update(idle_timeout_s=idle_timeout_s, ticket_screen_s=ticket_screen_s,
                         content_dir=str(content_folder(parse_site(data, EXAMPLE_SITE), EXAMPLE_SITE)))
    # every counter open from the start is not needed: tickets wait in their queues
    for device in data["devices"]:
        if device["id"] == KIOSK:
            width, height, diagonal = panel
            device["screen"] = {"width": width, "height": height, "orientation": "landscape" if width >= height
                                else "portrait", "fullscreen": False, "diagonal_in": diagonal}
            device["printer"] = printer or {"connector": "none"}
            device["scanner"] = scanner or {"kind": "none"}
            if modes is not None:
                device["kiosk_modes"] = modes
    return data


def write_site(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "site.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def start_centre(folder: Path, data: dict, hub_in_process: bool = True) -> tuple[LocalCentre, Path]:
    site_file = write_site(folder, data)
    site = parse_site(data, site_file)
    centre = LocalCentre(site, folder / "centre", content=read_content(site, site_file))
    if hub_in_process:
        centre.start()
    else:
        centre.start_broker()
        centre.spawn_hub_process(site_file)
    return centre, site_file


def kiosk_device_file(centre: LocalCentre, folder: Path) -> Path:
    return centre.write_device_file(KIOSK, folder / "kiosk-device.toml", state_dir=folder / "kiosk-state")
