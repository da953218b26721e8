"""Barcode/QR scanners: serial (pyserial) and USB keyboard-wedge (evdev).

    scanner = open_scanner(device_config["scanner"], parser=ScanParser(site_id))
    scanner.add_scan_listener(lambda scan: ...)       # TicketScan / AppointmentScan / UnknownScan
    health.watch_scanner(scanner)                     # ok / disconnected (hardware.health)
    scanner.start()
    ...
    scanner.close()

Both kinds read on their own thread, report when the device goes away and
open it again when it comes back.  ``parse`` decides what a scan means;
``mock`` has pretend scanners for tests.
"""

from __future__ import annotations

from typing import Mapping

from siteconf.schema import Scanner as ScannerConfig

from .base import NoScanner, Scanner, ScannerState, ScannerStatus
from .parse import (REASONS, AppointmentScan, Scan, ScanParser, TicketScan, UnknownScan, appointment_code,
                    new_appointment_code)


def open_scanner(config: ScannerConfig | Mapping, **kwargs) -> Scanner:
    """The scanner the device config asks for (not started yet); kind "none" gives ``NoScanner``."""
    config = config if isinstance(config, ScannerConfig) else ScannerConfig.model_validate(dict(config))
    if config.kind == "serial":
        from .serial_scanner import SerialScanner

        return SerialScanner(config.serial_port, baudrate=config.baudrate, **kwargs)
    if config.kind == "hid":
        from .hid_scanner import HidScanner

        return HidScanner(config.hid_device, **kwargs)
    return NoScanner(**kwargs)


__all__ = ["REASONS", "AppointmentScan", "NoScanner", "Scan", "ScanParser", "Scanner", "ScannerState",
           "ScannerStatus", "TicketScan", "UnknownScan", "appointment_code", "new_appointment_code",
           "open_scanner"]
