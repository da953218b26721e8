"""The report's words in Portuguese and English (the manager's and the ministry's languages).

Kept as one table here rather than gettext catalogs: about sixty short labels, read by one command,
none of them shown to visitors; a third language is one more column.
"""

from __future__ import annotations

LANGUAGES = ("pt", "en")

TEXTS: dict[str, dict[str, str]] = {
    "title": {"pt": "Relatório de atendimento", "en": "Service report"},
    "period": {"pt": "Período", "en": "Period"},
    "made": {"pt": "Gerado em", "en": "Made on"},
    "summary": {"pt": "Resumo", "en": "Summary"},
    "no_data": {"pt": "Sem atendimentos neste período.", "en": "No visits in this period."},
    "visitors": {"pt": "Visitantes", "en": "Visitors"},
    "tickets": {"pt": "Senhas", "en": "Tickets"},
    "legs": {"pt": "Passagens", "en": "Stays"},
    "called": {"pt": "Chamadas", "en": "Called"},
    "served": {"pt": "Atendidos", "en": "Served"},
    "no_show": {"pt": "Não compareceram", "en": "No-shows"},
    "transferred": {"pt": "Transferidos", "en": "Transfers"},
    "cancelled": {"pt": "Cancelados", "en": "Cancellations"},
    "voided": {"pt": "Anulados", "en": "Voided"},
    "expired": {"pt": "Expirados", "en": "Expired"},
    "wait": {"pt": "Espera (min)", "en": "Wait (min)"},
    "service_time": {"pt": "Atendimento (min)", "en": "Service (min)"},
    "p50": {"pt": "mediana", "en": "median"},
    "p90": {"pt": "p90", "en": "p90"},
    "mean": {"pt": "média", "en": "mean"},
    "target": {"pt": "Meta (min)", "en": "Target (min)"},
    "within": {"pt": "Chamados dentro da meta", "en": "Called within target"},
    "by_service": {"pt": "Por serviço", "en": "By service"},
    "by_counter": {"pt": "Por balcão", "en": "By counter"},
    "by_hour": {"pt": "Por hora de chegada", "en": "By hour of arrival"},
    "by_language": {"pt": "Por língua do visitante", "en": "By visitor language"},
    "by_day": {"pt": "Por dia", "en": "By day"},
    "service": {"pt": "Serviço", "en": "Service"},
    "counter": {"pt": "Balcão", "en": "Counter"},
    "hour": {"pt": "Hora", "en": "Hour"},
    "language": {"pt": "Língua", "en": "Language"},
    "day": {"pt": "Dia", "en": "Day"},
    "week": {"pt": "Semana", "en": "Week"},
    "month": {"pt": "Mês", "en": "Month"},
    "no_counter": {"pt": "(dias antigos: sem balcão)", "en": "(older days: no counter kept)"},
    "approx": {"pt": "≈ estimado dos números diários (dias anteriores a {day})",
               "en": "≈ estimated from the daily figures (days before {day})"},
    "approx_short": {"pt": "≈ estimado", "en": "≈ estimated"},
    "charts": {"pt": "Gráficos", "en": "Charts"},
    "chart_arrivals": {"pt": "Chegadas por hora", "en": "Arrivals by hour"},
    "chart_waits_hour": {"pt": "Espera por hora de chegada", "en": "Wait by hour of arrival"},
    "chart_waits_service": {"pt": "Espera por serviço", "en": "Wait by service"},
    "chart_survey": {"pt": "Inquérito: respostas positivas", "en": "Survey: positive answers"},
    "minutes": {"pt": "minutos", "en": "minutes"},
    "tickets_axis": {"pt": "senhas emitidas", "en": "tickets issued"},
    "survey": {"pt": "Inquérito de satisfação", "en": "Satisfaction survey"},
    "survey_none": {"pt": "Ainda sem respostas ao inquérito.", "en": "No survey answers yet."},
    "survey_all": {"pt": "Todos os serviços", "en": "All services"},
    "survey_question": {"pt": "Pergunta", "en": "Question"},
    "survey_result": {"pt": "Resultado", "en": "Result"},
    "survey_suppressed": {"pt": "menos de 10 respostas", "en": "fewer than 10 answers"},
    "survey_rate": {"pt": "taxa de resposta", "en": "response rate"},
    "survey_note": {"pt": "Por serviço e por período apenas (nunca por balcão ou hora). Grupos com menos de 10 "
                          "respostas não são mostrados. Taxa de resposta: inquéritos respondidos / visitantes "
                          "atendidos.",
                    "en": "Per service and period only (never per counter or hour). Groups of fewer than 10 "
                          "answers are not shown. Response rate: surveys answered / visitors served."},
    "q_hours": {"pt": "Horário de funcionamento", "en": "Opening hours"},
    "q_space": {"pt": "Organização, limpeza e decoração do espaço",
                "en": "Organisation, cleanliness and decoration of the space"},
    "q_kindness": {"pt": "Simpatia do atendimento", "en": "Kindness of the service"},
    "q_mediator": {"pt": "Relação com o mediador", "en": "Relationship with the mediator"},
    "pos_hours": {"pt": "Muito adequado ou adequado", "en": "Very adequate or adequate"},
    "pos_space": {"pt": "Muito agradável ou agradável", "en": "Very pleasant or pleasant"},
    "pos_kindness": {"pt": "Muito satisfeito ou satisfeito", "en": "Very satisfied or satisfied"},
    "pos_mediator": {"pt": "Muito próxima ou próxima", "en": "Very close or close"},
    "notes": {"pt": "Notas", "en": "Notes"},
    "note_counts": {"pt": "Senhas: emitidas para o serviço, hora ou língua (as transferências não contam). "
                          "Visitantes: senhas não anuladas. Passagens: estadias numa fila, incluindo as "
                          "transferências; atendidos, não comparências, transferências, cancelamentos e "
                          "anulações contam-se por passagem.",
                    "en": "Tickets: issued for the service, hour or language (transfers do not count). "
                          "Visitors: tickets not voided. Stays: time in one queue, transfers included; "
                          "served, no-shows, transfers, cancellations and voided count per stay."},
    "note_times": {"pt": "Espera: da entrada na fila à chamada. Atendimento: da chamada ao fim. Mediana (p50) "
                         "e p90: metade e nove em cada dez visitantes esperaram até esse tempo.",
                   "en": "Wait: from joining the queue to the call. Service: from the call to the end. "
                         "Median (p50) and p90: half and nine in ten visitors waited up to that long."},
}


def t(key: str, lang: str, **values) -> str:
    words = TEXTS[key].get(lang) or TEXTS[key]["en"]
    return words.format(**values) if values else words
