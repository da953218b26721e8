"""What each device receives of the site file, published retained by the hub.

``config/site`` carries the public part every device may read (services,
menu, counters, zones, ticker, opening hours, the policies a device shows);
``config/device/<id>`` carries one device's own entry (role, zone, counter,
printer, scanner, pins, screen, audio).  The device list, the network and
the bridge never leave the hub.
"""

from __future__ import annotations

from contract import payloads

from .schema import Site

PUBLIC_POLICIES = ("priority_ratio", "priority_categories", "no_show_requires_recall", "recall_limit",
                   "announce_max_age_s")


def public_config(site: Site) -> dict:
    data = site.model_dump(mode="json", include={"site", "zones", "services", "kiosk", "counters", "ticker",
                                                 "opening_hours"})
    data["policies"] = site.policies.model_dump(mode="json", include=set(PUBLIC_POLICIES))
    return payloads.site_config(site.schema_version, data)


def device_slice(site: Site, device_id: str) -> dict:
    device = site.device(device_id)
    if device is None:
        raise KeyError(device_id)
    data = device.model_dump(mode="json", exclude={"limits"})  # the hub's business, not the device's
    data["zone"] = site.device_zone(device)
    return payloads.device_config(site.site.id, data)
