"""The console's words in Portuguese and English (the staff's languages; the site's texts come from the
site file through ``typeset.i18n.pick``).

A table, not gettext catalogs: two languages, one screen, and the server words everything (the
page's script has no text of its own), as the guest page does.  ``LANGUAGES`` lists the languages a
staff member may choose; ``language_of`` picks one from the cookie, then the browser's
``Accept-Language``, then Portuguese.  A test checks both languages have every key.
"""

from __future__ import annotations

LANGUAGES = {"pt": "Português", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "pt": {
        "title": "Consola do supervisor",
        "login": "Entrar", "name": "Nome de utilizador", "password": "Palavra-passe",
        "login_wrong": "Nome ou palavra-passe errados.",
        "login_locked": "Conta bloqueada por demasiadas tentativas. Tente de novo às {until}, ou peça ao técnico.",
        "login_expired": "A palavra-passe temporária expirou. Peça ao técnico uma nova.",
        "login_busy": "Demasiadas tentativas a partir deste computador. Espere um minuto.",
        "choose_title": "Escolha a sua palavra-passe",
        "choose_help": "A palavra-passe temporária só serve para isto. Escolha uma só sua, com 12 ou mais "
                       "caracteres: uma frase curta é fácil de lembrar.",
        "new_password": "Nova palavra-passe", "repeat_password": "Repita a nova palavra-passe",
        "save": "Guardar", "not_same": "As duas palavras-passe não são iguais.",
        "pw_short": "A palavra-passe tem de ter 12 a 200 caracteres (uma frase curta serve bem).",
        "pw_weak": "Escolha uma palavra-passe que não seja o seu nome, nem a que recebeu, nem um só carácter "
                   "repetido.",
        "logout": "Sair", "signed_in_as": "Sessão de {name}", "language": "Idioma",
        "skip": "Saltar para as ações",
        "hub_offline": "O servidor da fila não responde: o que vê pode estar desatualizado.",
        "live_off": "Ligação interrompida: a tentar de novo…",
        "queues": "Filas", "service": "Serviço", "state": "Estado", "waiting": "À espera",
        "priority": "prioritários", "longest": "Maior espera", "estimate": "Estimativa", "counters_open": "Balcões abertos",
        "counters": "Balcões", "counter": "Balcão", "serving": "A atender", "for": "Há", "languages": "Idiomas",
        "devices": "Equipamentos", "device": "Equipamento", "kind": "Tipo", "connection": "Ligação",
        "printer": "Impressora", "scanner": "Leitor", "last_seen": "Visto",
        "figures": "Hoje até agora", "ticker_now": "Mensagem no rodapé",
        "issued": "Senhas emitidas", "served": "Atendidos", "no_shows": "Não compareceram", "calls": "Chamadas",
        "mean_wait_min": "Espera média", "longest_wait_min": "Maior espera",
        "open": "aberto", "paused": "em pausa", "closed": "fechado", "unknown": "desconhecido",
        "yes": "sim", "no": "não", "today": "hoje", "never": "nunca", "now": "agora", "none": "—",
        "min": "{n} min", "range": "{low}–{high} min",
        "online": "ligado", "offline": "desligado", "never_seen": "nunca ligado",
        "paper_near_end": "papel a acabar", "paper_out": "sem papel", "cover_open": "tampa aberta",
        "no_answer": "não responde", "io_error": "erro", "disconnected": "desligado", "ok": "ok",
        "role_hub": "servidor", "role_kiosk": "quiosque", "role_counter": "balcão", "role_display": "ecrã",
        "actions": "Ações", "reason": "Motivo (fica registado)",
        "public": "Visível ao público nos quiosques e ecrãs: sem nomes.",
        "a_service_state": "Abrir, pausar ou fechar um serviço", "new_state": "Novo estado",
        "do_service_state": "Aplicar",
        "a_ticker": "Mensagem para os ecrãs", "ticker_text": "Texto (vazio: apagar a mensagem)",
        "zone": "Zona", "every_zone": "Todas as zonas", "do_ticker": "Enviar",
        "a_call": "Chamar uma senha a um balcão", "code": "Senha (ex.: A012)", "do_call": "Chamar",
        "a_void": "Anular senhas", "codes": "Senhas, separadas por vírgulas", "do_void": "Anular",
        "a_languages": "Idiomas de um balcão hoje", "languages_list": "Idiomas (ex.: pt, en, uk; vazio: os do ficheiro)",
        "do_languages": "Aplicar",
        "reports": "Relatórios diários", "no_reports": "Ainda não há relatórios.",
        "done": "Feito: {what}", "refused": "Recusado: {why}", "no_answer_hub": "O servidor da fila não respondeu. "
        "Nada foi alterado; tente de novo.",
        "report_unrecorded": "O servidor da fila não registou a transferência, por isso o relatório não foi "
        "entregue. Tente de novo dentro de momentos.",
        "bad_form": "Formulário inválido: {why}", "session_over": "A sessão terminou. Entre de novo.",
        "r_forbidden": "sem permissão", "r_unknown_ticket": "não há essa senha hoje",
        "r_unknown_counter": "não há esse balcão", "r_unknown_service": "não há esse serviço",
        "r_illegal_transition": "não é possível no estado atual", "r_invalid_fields": "dados inválidos",
        "r_service_not_at_counter": "esse balcão não atende esse serviço", "r_expired": "demorou demasiado",
        "r_rate_limited": "demasiados pedidos; espere um pouco",
        "summary": "{waiting} à espera · {problems} equipamentos a precisar de atenção",
    },
    "en": {
        "title": "Supervisor's console",
        "login": "Log in", "name": "User name", "password": "Password",
        "login_wrong": "Wrong name or password.",
        "login_locked": "Account locked after too many tries. Try again at {until}, or ask the technician.",
        "login_expired": "The one-time password has expired. Ask the technician for a new one.",
        "login_busy": "Too many tries from this computer. Wait a minute.",
        "choose_title": "Choose your password",
        "choose_help": "The one-time password is only for this. Choose one of your own, 12 characters or "
                       "more: a short sentence is easy to remember.",
        "new_password": "New password", "repeat_password": "Repeat the new password",
        "save": "Save", "not_same": "The two passwords are not the same.",
        "pw_short": "A password has 12 to 200 characters (a short sentence is good).",
        "pw_weak": "Choose a password that is not your name, not the one you were given, and not one "
                   "character repeated.",
        "logout": "Log out", "signed_in_as": "Signed in as {name}", "language": "Language",
        "skip": "Skip to the actions",
        "hub_offline": "The queue server does not answer: what you see may be out of date.",
        "live_off": "Connection lost: trying again…",
        "queues": "Queues", "service": "Service", "state": "State", "waiting": "Waiting",
        "priority": "priority", "longest": "Longest wait", "estimate": "Estimate", "counters_open": "Counters open",
        "counters": "Counters", "counter": "Counter", "serving": "Serving", "for": "For", "languages": "Languages",
        "devices": "Devices", "device": "Device", "kind": "Kind", "connection": "Connection",
        "printer": "Printer", "scanner": "Scanner", "last_seen": "Seen",
        "figures": "Today so far", "ticker_now": "Ticker message",
        "issued": "Tickets issued", "served": "Served", "no_shows": "No-shows", "calls": "Calls",
        "mean_wait_min": "Mean wait", "longest_wait_min": "Longest wait",
        "open": "open", "paused": "paused", "closed": "closed", "unknown": "unknown",
        "yes": "yes", "no": "no", "today": "today", "never": "never", "now": "now", "none": "—",
        "min": "{n} min", "range": "{low}–{high} min",
        "online": "online", "offline": "offline", "never_seen": "never connected",
        "paper_near_end": "paper low", "paper_out": "out of paper", "cover_open": "cover open",
        "no_answer": "no answer", "io_error": "error", "disconnected": "unplugged", "ok": "ok",
        "role_hub": "hub", "role_kiosk": "kiosk", "role_counter": "counter", "role_display": "display",
        "actions": "Actions", "reason": "Reason (it is recorded)",
        "public": "Shown to the public on the kiosks and walls: no names.",
        "a_service_state": "Open, pause or close a service", "new_state": "New state",
        "do_service_state": "Apply",
        "a_ticker": "Message for the displays", "ticker_text": "Text (empty: remove the message)",
        "zone": "Zone", "every_zone": "Every zone", "do_ticker": "Send",
        "a_call": "Call a ticket to a counter", "code": "Ticket (e.g. A012)", "do_call": "Call",
        "a_void": "Void tickets", "codes": "Tickets, separated by commas", "do_void": "Void",
        "a_languages": "A counter's languages today", "languages_list": "Languages (e.g. pt, en, uk; empty: the site file's)",
        "do_languages": "Apply",
        "reports": "Daily reports", "no_reports": "No reports yet.",
        "done": "Done: {what}", "refused": "Refused: {why}", "no_answer_hub": "The queue server did not answer. "
        "Nothing was changed; try again.",
        "report_unrecorded": "The queue server did not record the download, so the report was not handed "
        "over. Try again in a moment.",
        "bad_form": "Form not valid: {why}", "session_over": "Your session ended. Log in again.",
        "r_forbidden": "not allowed", "r_unknown_ticket": "no such ticket today",
        "r_unknown_counter": "no such counter", "r_unknown_service": "no such service",
        "r_illegal_transition": "not possible in its current state", "r_invalid_fields": "data not valid",
        "r_service_not_at_counter": "that counter does not serve that service", "r_expired": "took too long",
        "r_rate_limited": "too many requests; wait a moment",
        "summary": "{waiting} waiting · {problems} devices need attention",
    },
}


def language_of(chosen: str | None, accept: str | None) -> str:
    """The cookie's language, else the first of ``Accept-Language`` the console speaks, else Portuguese."""
    if chosen in LANGUAGES:
        return chosen
    for part in (accept or "")[:200].split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "pt"


def words(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["pt"])


def reason_text(language: str, code: str | None, message: str | None = None) -> str:
    """A refusal in plain words: the contract's reason code when the console knows it, else the hub's message."""
    table = words(language)
    return table.get(f"r_{code}") or message or code or "?"
