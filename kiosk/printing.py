"""The kiosk's ticket printer: the one place the kiosk meets ``hardware.printer``.

Each ticket's bytes are made as soon as the hub's reply arrives and sent on a
thread of their own while the screen shows it; the outcome comes back through
``done(ok, reason)`` so the ticket screen can say "take a photo of your
number" when the paper is out.  Status changes of the printer (paper near
end, offline...) go to ``on_status(state, detail)``, which the kiosk turns
into its health report.  With ``render_dir`` every ticket is also drawn as a
PNG (the simulated centre shows the kiosk's paper that way).
"""

from __future__ import annotations

import logging
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
        self._printer = TicketPrinter(config)
        self._printer.add_status_listener(self._status)
        self.last_state = self._printer.status.state.value

    @property
    def enabled(self) -> bool:
        return self._printer.enabled

    def start(self) -> "KioskPrinter":
        self._printer.start()
        return self

    def prepare(self, ticket: Mapping, site_config: Mapping, language: str) -> Callable[[Done], None]:
        """Lay the ticket out and make its bytes now, on the caller's thread (before the screen
        starts drawing it: both want the CPU); the returned ``send(done)`` writes and renders them
        on a thread of its own and calls ``done(ok, reason)``."""
        from hardware.printer import ticket_layout
        from hardware.printer.escpos_writer import ticket_bytes
        layout = data = None
        try:
            layout = ticket_layout(ticket, site_config, language)
            data = ticket_bytes(layout, self._printer.media) if self.enabled else None
        except Exception:  # the ticket is on screen whatever happens here
            log.exception("cannot lay out ticket %s", ticket.get("code"))

        def send(done: Done) -> None:
            if layout is None:
                done(False, "render_error")
                return
            future = self._printer.print_ticket_async(layout, data=data)
            future.add_done_callback(lambda f: self._sent(layout, f, done))
        return send

    def _sent(self, layout, future, done: Done) -> None:
        from hardware.printer import PrinterFault, render_ticket_png
        ok, reason = True, ""
        try:
            future.result()
        except PrinterFault as fault:
            log.warning("ticket %s not printed (%s): shown on screen", layout.code, fault)
            ok, reason = False, fault.reason
        except Exception:
            log.exception("printing ticket %s failed", layout.code)
            ok, reason = False, "io_error"
        if self.render_dir is not None:
            try:
                render_ticket_png(layout, self.render_dir / f"{layout.code}.png", self._printer.media)
            except Exception:
                log.exception("could not render ticket %s", layout.code)
        done(ok, reason)

    def _status(self, status) -> None:
        self.last_state = status.state.value
        if self.on_status:
            self.on_status(status.state.value, status.detail)

    def close(self) -> None:
        self._printer.close()
