"""udev rules: stable names and permissions for ticket printers and barcode scanners.

A kiosk finds its printer at ``/dev/onestop/printer`` (USB line printer
node) and its scanner at ``/dev/input/onestop-scanner`` (keyboard-wedge HID)
or ``/dev/onestop/scanner`` (serial), whatever order the kernel found them
in; the service's groups (lp, input, dialout, plugdev) may open them, nobody
else.  The static file covers the usual ESC/POS printer and scanner makers;
a device whose site-file entry names a USB printer by vendor/product gets a
rule for exactly that model as well.
"""

from __future__ import annotations

from pathlib import Path

from siteconf.schema import Device

STATIC_RULES_FILE = "70-onestop-hardware.rules"

#: USB vendor ids of common ESC/POS thermal printers
PRINTER_VENDORS = {
    "04b8": "Epson", "0519": "Star Micronics", "1d90": "Citizen", "1504": "Bixolon", "0dd4": "Custom",
    "0416": "Winbond (generic 58/80 mm printers)", "0fe6": "ICS (generic POS printers)", "154f": "SNBC",
}
#: USB vendor ids of common barcode/QR scanners
SCANNER_VENDORS = {
    "0c2e": "Honeywell / Metrologic", "05e0": "Zebra / Symbol", "05f9": "Datalogic", "1eab": "Newland",
    "0536": "Hand Held Products", "2dd6": "Netum / generic 2D scanners",
}


def printer_rules(vendor: str, product: str | None, label: str) -> list[str]:
    match = f'ATTRS{{idVendor}}=="{vendor}"' + (f', ATTRS{{idProduct}}=="{product}"' if product else "")
    usb_match = f'ATTR{{idVendor}}=="{vendor}"' + (f', ATTR{{idProduct}}=="{product}"' if product else "")
    return [
        f"# {label}: the usblp node (python-escpos File/Usb) and the raw USB device (libusb)",
        f'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", {match}, GROUP="lp", MODE="0660", '
        f'SYMLINK+="onestop/printer"',
        f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", {usb_match}, GROUP="lp", MODE="0660"',
        f'SUBSYSTEM=="tty", {match}, GROUP="dialout", MODE="0660", SYMLINK+="onestop/printer-serial"',
    ]


def scanner_rules(vendor: str, label: str) -> list[str]:
    match = f'ATTRS{{idVendor}}=="{vendor}"'
    return [
        f"# {label}: keyboard-wedge (evdev) and serial (CDC-ACM) modes",
        f'SUBSYSTEM=="input", KERNEL=="event[0-9]*", {match}, GROUP="input", MODE="0660", '
        f'SYMLINK+="input/onestop-scanner"',
        f'SUBSYSTEM=="tty", {match}, GROUP="dialout", MODE="0660", SYMLINK+="onestop/scanner"',
    ]


def static_rules_text() -> str:
    lines = ["# Stable names and permissions for One-Stop-Shop printers and scanners.",
             "# Made by provisioning.udev; installed to /etc/udev/rules.d/.", ""]
    for vendor, name in PRINTER_VENDORS.items():
        lines += printer_rules(vendor, None, f"printer {name}") + [""]
    for vendor, name in SCANNER_VENDORS.items():
        lines += scanner_rules(vendor, f"scanner {name}") + [""]
    return "\n".join(lines)


def device_rules_text(device: Device) -> str | None:
    """Rules for the exact printer model a device's site-file entry names, or None."""
    printer = device.printer
    if printer.connector != "usb" or printer.usb_vendor is None:
        return None
    vendor, product = f"{printer.usb_vendor:04x}", f"{printer.usb_product:04x}"
    lines = [f"# The printer of {device.id} as its site-file entry names it, made by provisioning.udev.",
             *printer_rules(vendor, product, f"printer {vendor}:{product} ({printer.profile})"), ""]
    return "\n".join(lines)


def write_static_rules(folder: Path | str) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STATIC_RULES_FILE
    path.write_text(static_rules_text(), encoding="utf-8")
    return path
