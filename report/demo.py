"""A busy simulated day in a hub database, for ``onestop-report --demo`` and the sample in docs/.

The day is ``hub.simulate``'s (the CNAI Lisboa example, 1,192 visitors, seed 4: counters busy
59-95 % from 08:00 to 16:30), run through the real ``hub.engine.Engine``; its in-memory database is
copied to a file with SQLite's backup API, so the report reads exactly what a hub would have
written.  The kiosk survey does not exist yet (issue 14, part 1), so the answers are simulated too:
``RESPONSE_RATE`` of the visitors whose last stay finished answer, each question with the seed's
shares of positive answers (``POSITIVE``: the 2010 survey of the CNAIs).  Both are assumptions,
said in the sample's README.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from pathlib import Path

#: share of served visitors who answer the survey (assumed)
RESPONSE_RATE = 0.3
#: share of answers 1 or 2 per question: the seed's survey (82.6 %, 80.7 %, 96 %, 97.4 %)
POSITIVE = {"hours": 0.826, "space": 0.807, "kindness": 0.96, "mediator": 0.974}
#: share of visitors who skip a question
SKIP = 0.05
SEED = 4
#: the example site sets no target waits; the sample assumes these (minutes): a short one for the
#: sorting office and information, half an hour elsewhere
TARGETS = {"triage": 15, "information": 15}
DEFAULT_TARGET = 30


def simulate_into(path: Path, seed: int = SEED):
    """The example site's busy day written into a new database at ``path``; returns the site."""
    from hub.simulate import Assumptions, _Sim
    from siteconf import EXAMPLE_SITE, load_site

    site = with_targets(load_site(EXAMPLE_SITE))
    sim = _Sim(site, Assumptions(), seed, estimators={})
    sim.run()
    target = sqlite3.connect(path)
    try:
        sim.engine.store.db.backup(target)
        add_answers(target, random.Random(seed))
        target.commit()
    finally:
        target.close()
        sim.engine.store.close()
    return site


def with_targets(site):
    services = [s.model_copy(update={"target_wait_min": TARGETS.get(s.id, DEFAULT_TARGET)}) for s in site.services]
    return site.model_copy(update={"services": services})


def add_answers(db, rng: random.Random) -> int:
    """Simulated survey answers of the visitors whose last stay finished; how many."""
    rows = db.execute("SELECT t.service_day, l.service FROM legs l JOIN tickets t ON t.id = l.ticket_id "
                      "WHERE l.outcome = 'finished' AND l.seq = (SELECT MAX(seq) FROM legs m "
                      "WHERE m.ticket_id = l.ticket_id)").fetchall()
    answers = []
    for day, service in rows:
        if rng.random() >= RESPONSE_RATE:
            continue
        values = []
        for question in ("hours", "space", "kindness", "mediator"):
            if rng.random() < SKIP:
                values.append(None)
            elif rng.random() < POSITIVE[question]:
                values.append(rng.choice((1, 2)))
            else:
                values.append(3 if rng.random() < 0.7 else 4)
        answers.append((day, service, *values))
    db.executemany("INSERT INTO survey_answers (service_day, service, hours, space, kindness, mediator) "
                   "VALUES (?, ?, ?, ?, ?, ?)", answers)
    return len(answers)


def demo_database():
    """(site, database path, the temporary folder holding it: ``cleanup()`` when done)."""
    tmp = tempfile.TemporaryDirectory(prefix="onestop-report-demo-")
    path = Path(tmp.name) / "hub.sqlite3"
    site = simulate_into(path)
    return site, str(path), tmp
