"""``onestop-provision test-print``: on a kiosk or counter, print the printer's test page.

Every code page the device's printer entry names (``printer.code_pages``) is printed from the printer's
own characters beside a picture of what that page should hold (``hardware.printer.testprint``), so a
technician sees on paper whether the numbers in the site file select the pages they name.  The entry
comes from the hub (as doctor asks it, with doctor's read-only identity) or, with ``--device-config``
or when the hub does not answer, from the copy provisioning left beside the device file.  The role's
service holds the printer: stop it first.
"""

from __future__ import annotations

from pathlib import Path

import click

from mqttlink.bootstrap import DEFAULT_DEVICE_FILE

from .workspace import ProvisioningError


def printer_entry(device_file: str, device_config: str | None, timeout: float) -> tuple[dict, str]:
    """The device's printer entry (checked with the site file's model) and where it came from."""
    from .doctor import BrokerProbe, Finding, _device_config, check_device_file, probe_broker

    probe = BrokerProbe(Finding("broker", "skip", "not asked"))
    if device_config is None:
        finding, device = check_device_file(device_file)
        if device is None:
            raise ProvisioningError(f"{finding.message}; or give --device-config FILE")
        probe = probe_broker(device, device_file, timeout)
    cached = device_config or str(Path(device_file).parent / "device-config.json")
    entry, source = _device_config(probe, cached)
    if entry is None:
        raise ProvisioningError(f"no printer entry to print with: {source}")
    if entry["printer"]["connector"] == "none":
        raise ProvisioningError(f"no printer configured for this device ({source})")
    return entry["printer"], source


@click.command("test-print")
@click.option("--device", "device_file", default=DEFAULT_DEVICE_FILE, show_default=True,
              type=click.Path(dir_okay=False), help="this device's device file")
@click.option("--device-config", default=None, type=click.Path(dir_okay=False),
              help="its printer from this copy of its config, without asking the hub")
@click.option("--code-pages", default=None, metavar="NAME=N,...",
              help="try these pages and ESC t numbers instead of the site file's, e.g. CP850=2,CP866=17")
@click.option("--to", "to", default=None, type=click.Path(dir_okay=False), help="write the bytes to a file instead")
@click.option("--timeout", default=3.0, show_default=True, help="seconds to wait for the hub")
def test_print(device_file: str, device_config: str | None, code_pages: str | None, to: str | None,
               timeout: float) -> int:
    """On a kiosk or counter: print every configured code page beside how it should look (stop the
    role's service first: it holds the printer)."""
    from hardware.printer import PrinterFault
    from hardware.printer.testprint import parse_code_pages, print_test_page

    printer, source = printer_entry(device_file, device_config, timeout)
    try:
        pages = parse_code_pages(code_pages) if code_pages is not None else None
    except ValueError as exc:
        raise ProvisioningError(f"--code-pages: {exc}") from None
    try:
        said = print_test_page(printer, code_pages=pages, to=to, heading=f"printer entry {source}")
    except PrinterFault as fault:
        raise ProvisioningError(f"the test page was not printed: {fault}") from None
    click.echo(said)
    return 0
