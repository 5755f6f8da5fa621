"""``warroom declare --help`` says which profiles there are, and each one's severities and
services; a wrong one is refused with the choices."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.test_cli import one_line_error


def test_declare_help_lists_profiles_severities_and_services(tmp_path):
    result = run_cli("declare", "--help")
    assert result.returncode == 0
    out = result.stdout
    assert "default: severities SEV1, SEV2, SEV3 (default SEV3)" in out
    assert "govuk-paas: severities P1, P2, P3, P4" in out
    assert "services: Website; API; Database; Authentication; Internal tools" in out
    db = str(tmp_path / "t.db")
    line = one_line_error(run_cli("--db", db, "declare", "x", "--severity", "P7"))
    assert "choose from: SEV1, SEV2, SEV3" in line
