"""Pictures of the process dialogs (issue 13) on a frozen clock: the escalation chain (dxw
Critical), the support contacts (GOV.UK PaaS), the declare checklist and the facts dialog.
Update with: pytest tests/app/test_process_snapshots.py --snapshot-update"""

from __future__ import annotations

import pytest

from tests.app.conftest import writer
from tests.app.test_snapshots import before


@pytest.fixture
def process_app(make_app, sample_db):
    path, _ = sample_db

    def make(profile: str, severity: str):
        ref = writer(path).declare("Sites are down", profile=profile, severity=severity,
                                   lead="tester").incident
        return make_app(ref=ref)
    return make


@pytest.mark.parametrize("profile, severity, key", [
    ("dxw", "critical", "x"), ("govuk-paas", "p1", "k"), ("govuk-paas", "p1", "l"),
    ("govuk-paas", "p1", "g"), ("dxw", "critical", "w"),
], ids=["escalation-dxw", "ticket-paas", "declare-checklist-paas", "facts-paas", "timers-dxw"])
def test_process_dialogs(snap_compare, process_app, profile, severity, key):
    assert snap_compare(process_app(profile, severity), terminal_size=(80, 30),
                        run_before=before(key))
