"""The guest network's firewall: phones reach the page server's port and nothing else of the machine.

The page server runs on the hub's Pi (or on a Pi of its own between the networks) with one
interface on the centre's guest Wi-Fi (``network.guest_interface``).  ``rules_text`` is an nftables
table that, on that interface only:

* accepts TCP to the page port (``network.guest_port``, 80) and the answers to it;
* accepts DHCP (UDP 67) when the machine hands out the guest addresses itself (``dhcp``);
* drops everything else that comes in: the broker (1883, 8883), SSH (22), NTP (123), the rest;
* forwards nothing from it: the guest network never reaches the staff LAN through this machine.

The other interfaces are not touched (the table's policy is accept; a site's own firewall stays
in charge of them).  ``onestop-provision build`` puts it in the hub's bundle as
``/etc/nftables.d/onestop-guest.nft``; ``tests/test_guest_firewall.py`` loads it into a network
namespace on a veth "guest" link and tries every port from the phone's side.
"""

from __future__ import annotations

RULES_FILE = "nftables.d/onestop-guest.nft"


def rules_text(interface: str, page_port: int = 80, dhcp: bool = False) -> str:
    dhcp_rule = f'        iifname "{interface}" udp dport 67 accept\n' if dhcp else ""
    return f"""#!/usr/sbin/nft -f
# made by provisioning.guestnet: the guest network reaches the page server's port, nothing else
table inet onestop_guest
delete table inet onestop_guest
table inet onestop_guest {{
    chain input {{
        type filter hook input priority filter; policy accept;
        iifname "{interface}" ct state established,related accept
        iifname "{interface}" tcp dport {page_port} ct state new accept
{dhcp_rule}        iifname "{interface}" counter drop
    }}
    chain forward {{
        type filter hook forward priority filter; policy accept;
        iifname "{interface}" counter drop
        oifname "{interface}" counter drop
    }}
}}
"""
