"""The kiosk's ticket printer: the one place the kiosk meets ``hardware.printer``.

Each ticket is printed on a thread of its own as soon as the hub's reply
arrives, while the screen shows it; the outcome comes back through
``done(ok, reason)`` so the ticket screen can say "take a photo of your
number" when the paper is out.  Status changes of the printer (paper near
end, offline...) go to ``on_status(state, detail)``, which the kiosk turns
into its health report.  With ``render_dir`` every ticket is also drawn as a
PNG (the simulated centre shows the kiosk's paper that way).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Mapping

log = logging.getLogger(__name__)

Done = Callable[[bool, str], None]
StatusCallback = Callable[[str, str], None]


class KioskPrinter:
    def __init__(self, printer_config: Mapping | None, on_status: StatusCallback | None = None,
                 render_dir: Path | str | None = None):
        from hardware.printer import TicketPrinter
        self.render_dir = Path(render_dir) if render_dir else None
        self.on_status = on_status
        config = dict(printer_config or {"connector": "none"})
        self._printer = TicketPrinter(config, on_status=self._status)
        self.last_state = self._printer.status.state.value

    @property
    def enabled(self) -> bool:
        return self._printer.enabled

    def start(self) -> "KioskPrinter":
        self._printer.start()
        return self

    def print_ticket(self, ticket: Mapping, site_config: Mapping, language: str, done: Done) -> None:
        """Print (and render) ``ticket`` off the caller's thread; ``done(ok, reason)`` afterwards."""
        threading.Thread(target=self._print, args=(ticket, site_config, language, done),
                         name=f"print-{ticket.get('code')}", daemon=True).start()

    def print_now(self, ticket: Mapping, site_config: Mapping, language: str) -> tuple[bool, str]:
        """Print on this thread; (True, "") or (False, the fault's reason)."""
        from hardware.printer import PrinterFault, render_ticket_png, ticket_layout
        try:
            layout = ticket_layout(ticket, site_config, language)
        except ValueError as exc:
            log.error("cannot lay out the ticket: %s", exc)
            return False, "render_error"
        ok, reason = True, ""
        if not self.enabled:
            ok, reason = False, "disabled"
        else:
            try:
                self._printer.print_ticket(layout)
            except PrinterFault as fault:
                log.warning("ticket %s not printed (%s): shown on screen", layout.code, fault)
                ok, reason = False, fault.reason
        if self.render_dir is not None:
            try:
                render_ticket_png(layout, self.render_dir / f"{layout.code}.png", self._printer.media)
            except Exception:
                log.exception("could not render ticket %s", layout.code)
        return ok, reason

    def _print(self, ticket: Mapping, site_config: Mapping, language: str, done: Done) -> None:
        try:
            ok, reason = self.print_now(ticket, site_config, language)
        except Exception:  # the ticket is on screen whatever happens here
            log.exception("printing failed")
            ok, reason = False, "io_error"
        done(ok, reason)

    def _status(self, status) -> None:
        self.last_state = status.state.value
        if self.on_status:
            self.on_status(status.state.value, status.detail)

    def close(self) -> None:
        self._printer.close()
