"""The shape of every identifier the contract carries, written once.

Ids, language codes, service prefixes, ticket codes and refs, request ids,
service days and appointment codes appear in topics, requests, replies, the
ticket QR and the site file.  Each is defined here once, as a regular
expression (for plain ``re`` users: the QR decoder, topic checks) and as a
pydantic type (for the request models and the site file's schema), so the hub,
the devices and the site file can never disagree on what a valid one is.

    >>> from contract.fields import ID, Ident
    >>> import re; bool(re.fullmatch(ID, "kiosk-01"))
    True
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic.fields import FieldInfo

#: ids in topic segments (site, device, zone, counter, service, menu entry): lower-case, digits and
#: dashes, at most 40 characters, no MQTT wildcards and no slashes, so they are safe in topics, file
#: names and host names
ID = r"[a-z0-9][a-z0-9-]{0,39}"
#: a language: an ISO 639 code and an optional subtag ("pt", "pt-BR", "ckb")
LANGUAGE = r"[a-z]{2,3}(-[A-Za-z0-9]+)?"
#: the longest language code a request may carry
LANGUAGE_MAX = 8
#: a service's ticket prefix: one or two capital letters
SERVICE_PREFIX = r"[A-Z]{1,2}"
#: a ticket code: the service's prefix and its number of the day ("A023", "MA99999")
CODE = rf"{SERVICE_PREFIX}[0-9]{{1,5}}"
#: a ticket's reference (its QR): base32 of 128 random bits (``contract.qr.new_ref``; 80 before issue 16)
REF = r"[a-z2-7]{16,32}"
#: a request id (``DeviceLink`` sends 32 hex digits)
REQUEST_ID = r"[A-Za-z0-9_.:-]{8,64}"
#: a service day, ISO ``YYYY-MM-DD`` (ASCII digits only)
SERVICE_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
#: an appointment code: ``APT-`` and two groups of four Crockford base32 symbols (no I, L, O, U)
APPOINTMENT_CODE = r"APT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"

#: the survey PIN printed on a ticket (issue 14): six ASCII digits, unique among the day's tickets
SURVEY_PIN = r"[0-9]{6}"
#: a staff account of the supervisor's console (issue 17): the name a person logs in with, carried by
#: every request a supervisor sends and kept in the hub's audit table; lower-case letters, digits,
#: dots, dashes and underscores ("maria.silva"), so it is safe in logs and never looks like markup
STAFF = r"[a-z0-9][a-z0-9._-]{0,39}"


def _whole(pattern: str, **constraints) -> FieldInfo:
    return Field(pattern=f"^{pattern}$", **constraints)


Ident = Annotated[str, _whole(ID)]
Lang = Annotated[str, _whole(LANGUAGE, min_length=2, max_length=LANGUAGE_MAX)]
Prefix = Annotated[str, _whole(SERVICE_PREFIX)]
Code = Annotated[str, _whole(CODE)]
Ref = Annotated[str, _whole(REF)]
RequestId = Annotated[str, _whole(REQUEST_ID)]
ServiceDay = Annotated[str, _whole(SERVICE_DAY)]
AppointmentCode = Annotated[str, _whole(APPOINTMENT_CODE)]
SurveyPin = Annotated[str, _whole(SURVEY_PIN)]
Staff = Annotated[str, _whole(STAFF)]
