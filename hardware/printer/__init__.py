"""The ESC/POS ticket printer.

    layout = ticket_layout(reply["ticket"], site_config, language)   # what goes on it
    printer = TicketPrinter(device_config["printer"])
    printer.add_status_listener(report)    # paper out, offline... (or HealthReport.watch_printer)
    printer.start()
    try:
        printer.print_ticket(layout)
    except PrinterFault as fault:          # never lose the ticket: show it on screen
        show_on_screen(layout, fault.reason)
    printer.print_ticket_async(layout)     # the same without waiting: a Future
    render_ticket_png(layout, "ticket.png")  # the same ticket as a picture

``layout`` (what a ticket says) is kept apart from ``escpos_writer`` (the bytes)
and ``render`` (a PNG), ``connectors`` wraps python-escpos' printer classes,
``status`` reads the real-time status bytes, ``stream`` reads a byte stream
back, and ``mock.PtyPrinter`` is a pretend serial printer for tests.
"""

from .layout import QRCode, Rule, Text, TicketLayout, ticket_layout
from .media import Media, media_for
from .render import render_ticket_image, render_ticket_png
from .status import PrinterState, PrinterStatus
from .ticket_printer import PrinterFault, PrintResult, TicketPrinter, serial_wire_seconds

__all__ = ["Media", "PrintResult", "PrinterFault", "PrinterState", "PrinterStatus", "QRCode", "Rule", "Text",
           "TicketLayout", "TicketPrinter", "media_for", "render_ticket_image", "render_ticket_png",
           "serial_wire_seconds", "ticket_layout"]
