"""What the counter's small display shows, as text, from the controller's view.

``CounterView`` is everything a staff member may need to read at a glance;
``lcd_lines`` lays it out for a character LCD (16x2 or wider), ``digits``
squeezes it into a 4-digit module.  Labels follow the site's default language
(Portuguese or English; staff read the site's language).
"""

from __future__ import annotations

from dataclasses import dataclass

TEXTS = {
    "en": {
        "waiting": "Waiting: {n}", "paused": "PAUSED", "closed": "CLOSED", "offline": "NO HUB",
        "recall": "call {n}", "transfer_to": "to", "nobody_waiting": "Nobody waiting",
        "no_answer": "No answer: again", "unreachable": "Hub unreachable", "no_ticket": "No ticket now",
        "no_targets": "No transfer list", "cancelled": "Transfer cancel", "transferred": "{code} -> {to}",
        "finished": "{code} finished", "printed": "{code} printed", "print_failed": "NO PRINT {code}",
        "recall_limit": "Recall limit", "no_show_needs_recall": "Recall first",
        "illegal_transition": "Not now", "not_a_transfer_target": "Not a target",
        "forbidden": "Not allowed", "expired": "Too late: again", "refused": "Refused {code}",
        "called": "{code} called", "no_show": "{code} no-show", "open": "Counter open",
        "now_paused": "Counter paused", "now_closed": "Counter closed",
        "choice_hint": "hold: send / other: cancel",
    },
    "pt": {
        "waiting": "Em espera: {n}", "paused": "PAUSA", "closed": "FECHADO", "offline": "SEM HUB",
        "recall": "chamada {n}", "transfer_to": "para", "nobody_waiting": "Ninguém à espera",
        "no_answer": "Sem resposta", "unreachable": "Hub sem ligação", "no_ticket": "Sem senha agora",
        "no_targets": "Sem destinos", "cancelled": "Transf. anulada", "transferred": "{code} -> {to}",
        "finished": "{code} terminada", "printed": "{code} impressa", "print_failed": "Falha imp. {code}",
        "recall_limit": "Limite chamadas", "no_show_needs_recall": "Rechame primeiro",
        "illegal_transition": "Agora não", "not_a_transfer_target": "Destino inválido",
        "forbidden": "Não permitido", "expired": "Tarde: de novo", "refused": "Recusado {code}",
        "called": "{code} chamada", "no_show": "{code} faltou", "open": "Balcão aberto",
        "now_paused": "Balcão em pausa", "now_closed": "Balcão fechado",
        "choice_hint": "manter: enviar / outro: anular",
    },
}


@dataclass(frozen=True)
class TransferChoice:
    code: str  #: the ticket being transferred
    index: int
    count: int
    service: str
    prefix: str
    name: str


@dataclass(frozen=True)
class Message:
    key: str
    args: tuple[tuple[str, str], ...] = ()

    def text(self, language: str) -> str:
        return texts(language)[self.key].format(**dict(self.args))


@dataclass(frozen=True)
class CounterView:
    status: str | None  #: open / paused / closed; None before the hub's state arrived
    current: str | None = None
    recalls: int = 0
    waiting: int | None = None
    reachable: bool = False
    choice: TransferChoice | None = None
    message: Message | None = None
    error: bool = False


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


def lcd_lines(view: CounterView, columns: int = 16, language: str = "en", rows: int = 2) -> list[str]:
    """Two lines (ticket and state; message or people waiting); a display with more rows
    keeps the waiting count on the second line and shows messages and hints below it."""
    t = texts(language)
    if view.choice is not None:
        c = view.choice
        head = f"{c.code} {t['transfer_to']}"
        tail = f"{c.index + 1}/{c.count}"
        first = head + tail.rjust(columns - len(head)) if len(head) + len(tail) < columns else head
        return [first, f"{c.prefix} {c.name}"] + ([t["choice_hint"]] if rows > 2 else [])
    code = view.current or "----"
    if not view.reachable:
        state = t["offline"]
    elif view.status == "paused":
        state = t["paused"]
    elif view.status == "closed":
        state = t["closed"]
    elif view.current and view.recalls:
        state = t["recall"].format(n=view.recalls + 1)
    else:
        state = ""
    first = code + state.rjust(max(columns - len(code), 0))
    waiting = t["waiting"].format(n=view.waiting) if view.waiting is not None else ""
    message = view.message.text(language) if view.message is not None else ""
    if rows > 2:
        return [first, waiting, message]
    return [first, message or waiting]


def digits(view: CounterView) -> str:
    """Four characters for a 7-segment module: the ticket, or what stands in its way."""
    if view.choice is not None:
        return "t" + view.choice.prefix.rjust(3)
    if view.error:
        return "Err "
    if not view.reachable:
        return "OFF "
    if view.status == "closed":
        return "----"
    waiting = "" if view.waiting is None else str(min(view.waiting, 999))
    if view.status == "paused":
        return "P" + waiting.rjust(3)
    if view.current:
        return view.current[-4:].rjust(4)
    return waiting.rjust(4)
