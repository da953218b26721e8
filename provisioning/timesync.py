"""Time for a site without clock batteries: the hub serves it, devices follow the hub.

Raspberry Pis have no real-time clock, and a centre's LAN may be cut off from
the internet, so the hub runs chrony as the site's time server: it follows
internet servers when it can (Debian's pool lines stay in chrony.conf) and
keeps serving its own clock (``local stratum``) when it cannot.  Kiosks,
counters and displays use systemd-timesyncd (already on Raspberry Pi OS, no
package needed) with the hub as their only server.  Request deadlines and
ticket times compare device and hub clocks, so they must agree.
"""

from __future__ import annotations

#: the private ranges a centre's LAN uses; chrony answers only these
LAN_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")


def chrony_server_text() -> str:
    allow = "\n".join(f"allow {cidr}" for cidr in LAN_RANGES)
    return f"""\
# /etc/chrony/conf.d/onestop.conf, made by onestop-provision: the hub serves time to the site.
{allow}
# Serve the hub's own clock when no internet server is reachable (an offline LAN):
# devices still agree with the hub, which is what request deadlines need.
local stratum 8 orphan
# A Pi boots with the time it saved at shutdown: step at once, however far off.
makestep 1 -1
"""


def timesyncd_text(server: str) -> str:
    return f"""\
# /etc/systemd/timesyncd.conf.d/onestop.conf, made by onestop-provision.
# The site's hub is this device's only time server (it works without the internet).
[Time]
NTP={server}
FallbackNTP=
PollIntervalMaxSec=1024
"""
