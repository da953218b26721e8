"""On the hub: void fake tickets, erase one ticket's record and set a counter's languages for the
day, as the technician's operator identity.

    sudo onestop-provision void --source kiosk-03 --from 10:05 --to 10:20 --reason "stolen login flooded"
    sudo onestop-provision void --codes A101,A102 --reason "printed by mistake"
    sudo onestop-provision erase --code A012 --day 2026-12-03 --reason "the visitor asked"
    sudo onestop-provision erase --ref 7kq2m9xd3pqa5f2b --reason "the visitor asked"
    sudo onestop-provision languages --counter desk-07 --set pt,ne,hi --reason "the Nepali mediator is in"
    sudo onestop-provision languages --counter desk-07 --site-file --reason "the mediator left"

Each sends a contract request (``void_tickets``, ``erase_ticket``, ``counter_languages``) to the hub as ``technician.hub``
(``/etc/onestop/technician.toml``, made by ``build`` beside the hub's device file), so the hub
applies them like any other request, in its own transaction, and audits them with the reason;
the supervisor's console sends the same requests as ``supervisor.console``.  ``--from``/``--to``
are times of today in the site's time zone (``HH:MM``) or full ISO 8601 date-times.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from contract.acl import tool_of
from mqttlink.link import DeviceLink, LinkError, RequestRefused
from siteconf import SiteFileError, load_site
from siteconf.device import load_device_file

from .identity import load_tool_login, tool_file_path
from .workspace import ProvisioningError

DEFAULT_DEVICE_FILE = "/etc/onestop/device.toml"
TECHNICIAN_ID = "technician.hub"
TECHNICIAN_FILE = "technician.toml"


def to_ms(text: str | None, timezone: str, now: datetime | None = None) -> int | None:
    """``HH:MM`` today in the site's time zone, or an ISO 8601 date-time, as Unix milliseconds."""
    if text is None:
        return None
    zone = ZoneInfo(timezone)
    try:
        if len(text) <= 5 and ":" in text:
            hours, minutes = (int(x) for x in text.split(":"))
            today = (now or datetime.now(zone)).astimezone(zone)
            moment = today.replace(hour=hours, minute=minutes, second=0, microsecond=0)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
    except ValueError:
        raise ProvisioningError(f"{text!r}: give a time as HH:MM (today) or an ISO 8601 date-time") from None
    return int(moment.timestamp() * 1000)


def ask_hub(device_file: str, action: str, timeout: float = 10.0, **fields) -> dict:
    """Send one operator request to the hub and return its result; a refusal is a ProvisioningError."""
    try:
        device = load_device_file(device_file)
    except SiteFileError as exc:
        raise ProvisioningError(str(exc)) from None
    login = load_tool_login(tool_file_path(device_file, TECHNICIAN_FILE), TECHNICIAN_ID)
    link = DeviceLink(device.site_id, login.identity, login.password, host=device.broker.host,
                      port=device.broker.port, role=tool_of(login.identity).role, timing=device.timing,
                      tls=login.tls(device))
    with link:
        if not link.wait_connected(5):
            raise ProvisioningError(f"the broker did not let {login.identity} in ({link.last_connack or 'no answer'});"
                                    f" is mosquitto running (systemctl status mosquitto)?")
        try:
            return link.request(action, timeout=timeout, **fields)
        except RequestRefused as refused:
            raise ProvisioningError(f"the hub refused: {refused.code}: "
                                    f"{refused.reply.get('error', {}).get('message', '')}") from None
        except LinkError as exc:
            raise ProvisioningError(f"{exc} (is onestop-hub running? systemctl status onestop-hub)") from None


def _site_timezone(device_file: str) -> str:
    try:
        device = load_device_file(device_file)
        return load_site(device.site_file).site.timezone if device.site_file else "Europe/Lisbon"
    except SiteFileError as exc:
        raise ProvisioningError(str(exc)) from None


DEVICE_OPTION = click.option("--device", "device_file", default=DEFAULT_DEVICE_FILE, show_default=True,
                             type=click.Path(dir_okay=False), help="the hub's device file")
REASON_OPTION = click.option("--reason", required=True, help="why (3-200 characters); kept in the hub's audit")


@click.command()
@DEVICE_OPTION
@click.option("--codes", help="comma-separated codes of today (e.g. A101,A102)")
@click.option("--source", help="the device that issued them (e.g. kiosk-03)")
@click.option("--from", "since", help="issued at or after (HH:MM today, or ISO date-time)")
@click.option("--to", "until", help="issued at or before (HH:MM today, or ISO date-time)")
@REASON_OPTION
def void(device_file: str, codes: str | None, source: str | None, since: str | None, until: str | None,
         reason: str) -> int:
    """On the hub: void fake tickets of today (they leave queues and screens, stay in history as voided)."""
    if not codes and not source:
        raise ProvisioningError("say which tickets: --codes, or --source (with --from/--to)")
    timezone = _site_timezone(device_file)
    fields: dict = {"reason": reason}
    if codes:
        fields["codes"] = [c.strip().upper() for c in codes.split(",") if c.strip()]
    if source:
        fields["source"] = source
    if since:
        fields["issued_from_ms"] = to_ms(since, timezone)
    if until:
        fields["issued_to_ms"] = to_ms(until, timezone)
    result = ask_hub(device_file, "void_tickets", **fields)
    shown = ", ".join(result["codes"]) + (" ..." if result["voided"] > len(result["codes"]) else "")
    click.echo(f"voided {result['voided']} tickets{': ' + shown if shown else ''}")
    if result["not_live"]:
        click.echo(f"{result['not_live']} others chosen were already finished, cancelled or voided: left as they are")
    return 0


@click.command()
@DEVICE_OPTION
@click.option("--ref", help="the ticket's reference (the last part of its QR code)")
@click.option("--code", help="the ticket's code (with --day)")
@click.option("--day", help="its service day, YYYY-MM-DD")
@REASON_OPTION
def erase(device_file: str, ref: str | None, code: str | None, day: str | None, reason: str) -> int:
    """On the hub: erase one ticket's record now (the visitor asked); its figures stay, anonymous."""
    if not ref and not (code and day):
        raise ProvisioningError("say which ticket: --ref, or --code and --day")
    fields = {"ref": ref.strip().lower()} if ref else {"code": code.strip().upper(), "service_day": day}
    result = ask_hub(device_file, "erase_ticket", reason=reason, **fields)["erased"]
    click.echo(f"erased the record of {result['code']} of {result['service_day']} (its figures stay, anonymous)")
    return 0


@click.command()
@DEVICE_OPTION
@click.option("--counter", required=True, help="the counter's id in the site file (e.g. desk-07)")
@click.option("--set", "languages", help="comma-separated language codes its staff speak today (e.g. pt,ne,hi)")
@click.option("--site-file", "from_site_file", is_flag=True, help="back to the site file's counters[].languages")
@REASON_OPTION
def languages(device_file: str, counter: str, languages: str | None, from_site_file: bool, reason: str) -> int:
    """On the hub: the languages a counter's staff speak for the rest of today (language-aware calling)."""
    if (languages is None) == (not from_site_file):
        raise ProvisioningError("say which languages: --set pt,ne (or an empty --set ''), or --site-file")
    chosen = None if from_site_file else [code.strip() for code in languages.split(",") if code.strip()]
    result = ask_hub(device_file, "counter_languages", counter=counter, languages=chosen, reason=reason)
    spoken = ", ".join(result["languages"]) or "none stated (it calls in arrival order)"
    click.echo(f"{result['counter']} speaks today: {spoken}" + (" (the site file's)" if result["from_site_file"] else ""))
    return 0
