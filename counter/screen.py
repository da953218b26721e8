"""What the counter's small display shows, as text, from the controller's view.

``CounterView`` is everything a staff member may need to read at a glance;
``lcd_lines`` lays it out for a character LCD (16x2 or wider), ``digits``
squeezes it into a 4-digit module.  Labels follow the site's default language
(Portuguese or English; staff read the site's language).
"""

from __future__ import annotations

from dataclasses import dataclass

#: each label in the languages staff read, (English, Portuguese), side by side so neither is forgotten
LABELS = {
    "waiting": ("Waiting: {n}", "Em espera: {n}"),
    "paused": ("PAUSED", "PAUSA"),
    "closed": ("CLOSED", "FECHADO"),
    "offline": ("NO HUB", "SEM HUB"),
    "recall": ("call {n}", "chamada {n}"),
    "transfer_to": ("to", "para"),
    "nobody_waiting": ("Nobody waiting", "Ninguém à espera"),
    "no_answer": ("No answer: again", "Sem resposta"),
    "unreachable": ("Hub unreachable", "Hub sem ligação"),
    "no_ticket": ("No ticket now", "Sem senha agora"),
    "no_targets": ("No transfer list", "Sem destinos"),
    "cancelled": ("Transfer cancel", "Transf. anulada"),
    "transferred": ("{code} -> {to}", "{code} -> {to}"),
    "finished": ("{code} finished", "{code} terminada"),
    "printed": ("{code} printed", "{code} impressa"),
    "print_failed": ("NO PRINT {code}", "Falha imp. {code}"),
    "recall_limit": ("Recall limit", "Limite chamadas"),
    "no_show_needs_recall": ("Recall first", "Rechame primeiro"),
    "illegal_transition": ("Not now", "Agora não"),
    "not_a_transfer_target": ("Not a target", "Destino inválido"),
    "forbidden": ("Not allowed", "Não permitido"),
    "expired": ("Too late: again", "Tarde: de novo"),
    "refused": ("Refused {code}", "Recusado {code}"),
    "called": ("{code} called", "{code} chamada"),
    "no_show": ("{code} no-show", "{code} faltou"),
    "open": ("Counter open", "Balcão aberto"),
    "now_paused": ("Counter paused", "Balcão em pausa"),
    "now_closed": ("Counter closed", "Balcão fechado"),
    "choice_hint": ("hold: send / other: cancel", "manter: enviar / outro: anular"),
}
TEXTS = {language: {key: texts[i] for key, texts in LABELS.items()} for i, language in enumerate(("en", "pt"))}


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
    #: the called visitor's language ("M023 uk": staff see whom a mediator should take)
    language: str | None = None


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
    if view.current and view.language and len(code) + 1 + len(view.language) + 1 + len(state) <= columns:
        code = f"{code} {view.language}"  # ASCII: the LCD's ROM has no middle dot (ascii_fold)
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
