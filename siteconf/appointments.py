"""Appointments the hub checks visitors in for: ``appointments.toml`` beside the site file.

Whatever books appointments (a ministry's scheduling system, a mediator's
list) exports them here, one entry per appointment: its code (the one on the
visitor's letter or SMS, ``APT-XXXX-XXXX``), the day, the service and the time.
No names or document numbers: the code is all the kiosk and the hub need.
The hub reads the file at start and on SIGHUP; a file that cannot be used is
reported (file, key, problem) and the hub runs without appointments.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from pydantic import BaseModel, ConfigDict, Field

from contract.fields import AppointmentCode, ServiceDay

from .load import FileKind, SiteFileError, read_toml, validated
from .schema import HHMM, Ident, Site

FILE_NAME = "appointments.toml"
#: 40 counters x 25 appointments a day x 50 days ahead; an entry is about 90 bytes of TOML
MAX_APPOINTMENTS = 50_000
APPOINTMENTS_FILE = FileKind("appointments file", 8 * 1024 * 1024,
                             "Fix the file or export it again, then `systemctl reload onestop-hub`; "
                             "until then the hub runs without check-in by appointment.")


class Appointment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    code: AppointmentCode
    day: ServiceDay
    service: Ident
    time: HHMM | None = None


class AppointmentFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    appointments: list[Appointment] = Field(default=[], max_length=MAX_APPOINTMENTS)


def read_appointments(site: Site, site_file: Path | str) -> list[Appointment]:
    """The appointments beside ``site_file`` (none when there is no file); SiteFileError names the
    file, the key and the problem."""
    path = Path(site_file).parent / FILE_NAME
    if not os.path.lexists(path):
        return []
    data = validated(AppointmentFile, read_toml(path, APPOINTMENTS_FILE), path, APPOINTMENTS_FILE)
    problems = [f"appointments[{i}].service: unknown service {a.service!r}"
                for i, a in enumerate(data.appointments) if site.service(a.service) is None]
    counts = Counter(a.code for a in data.appointments)
    problems += [f"appointments: code {c!r} is used twice" for c in sorted(c for c, n in counts.items() if n > 1)]
    if problems:
        raise SiteFileError(path, problems, APPOINTMENTS_FILE.fix)
    return data.appointments
