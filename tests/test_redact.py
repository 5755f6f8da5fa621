"""Secrets out of the public report; prose that only looks like a secret stays."""

from __future__ import annotations

import pytest

from warroom.core.redact import redact

# Made-up credentials in the real formats (none of them is live).
GHP = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
GLPAT = "glpat-" + "xY9zA8bC7dE6fG5hI4jK"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq+Lm0vW6Uv\nQx9hJ2kq0u1Pa3s=\n"
       "-----END RSA PRIVATE KEY-----")

SECRETS = [
    (f"aws configure set aws_access_key_id {AWS_KEY}", AWS_KEY, "AWS access key"),
    (f"found {AWS_KEY}, rotating", AWS_KEY, "AWS access key"),
    (f"key pasted by mistake:\n{PEM}\nsorry", "MIIEowIBAAKCAQEA7bq", "private key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n(cut off)",
     "b3BlbnNzaC1rZXktdjEAAAAA", "private key"),
    (f"export GITHUB_TOKEN={GHP}", GHP, "secret"),
    (f"the token {GHP} leaked", GHP, "GitHub token"),
    (f"used {GITHUB_PAT} for the API", GITHUB_PAT, "GitHub token"),
    ("gho_" + "Z" * 36 + " was the oauth token", "gho_" + "Z" * 36, "GitHub token"),
    (f"runner registered with {GLPAT}", GLPAT, "GitLab token"),
    (f"bot token {SLACK} in the config", SLACK, "Slack token"),
    ("posted to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "T000/B000/XXXX", "Slack webhook"),
    (f"session cookie {JWT}", JWT, "JSON web token"),
    ("export WARROOM_DB=postgresql+psycopg://warroom:s3cr3t-Pa55@db.internal:5432/warroom",
     "s3cr3t-Pa55", "password"),
    ("curl https://admin:hunter2@example.com/api", "hunter2", "password"),
    ("curl -H 'Authorization: Bearer abc.def-ghi_jkl' https://api.example.com", "abc.def-ghi_jkl",
     "credentials"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "credentials"),
    ("the log shows bearer 8f14e45fceea167a5a36dedd4bea2543 on every call",
     "8f14e45fceea167a5a36dedd4bea2543", "token"),
    ("password=hunter2 in the config map", "hunter2", "secret"),
    ("DB_PASSWD = 'correct horse battery'", "correct horse", "secret"),
    ('{"client_secret": "s.3kR3t", "x": 1}', "s.3kR3t", "secret"),
    ("https://api.example.com/v1?user=bob&token=abcd1234&page=2", "abcd1234", "secret"),
    ("secret: 7d5e8a", "7d5e8a", "secret"),
]

BENIGN = [
    "AKIA is the prefix of long-term AWS access keys",
    "AKIA1234 is too short to be a key",
    "users were sent to the password reset page",
    "the password reset emails are delayed",
    "rate limit is a token bucket: 100 tokens, refilled every second",
    "a secret santa is not an incident",
    "see https://docs.example.com/runbooks/checkout?section=rollback#step-3",
    "postgresql://db.internal:5432/warroom has no credentials in it",
    "mail oncall@example.com about it",
    "he was the bearer of bad news",
    "Bearer tokens expire after an hour",
    "ghp_ tokens are GitHub personal access tokens",
    "eyJ is how base64 JSON starts",
    "BEGIN PRIVATE KEY without the dashes is just words",
    "the Authorization header was missing",
    "14:05:00 deploy 4512 rolled back; p95 410ms",
]


@pytest.mark.parametrize("text, secret, label", SECRETS)
def test_secrets_are_redacted_with_a_label(text, secret, label):
    out = redact(text)
    assert secret not in out
    assert f"[redacted: {label}]" in out


@pytest.mark.parametrize("text", BENIGN)
def test_look_alikes_survive(text):
    assert redact(text) == text


def test_the_words_around_a_secret_stay():
    out = redact("curl -H 'Authorization: Bearer abcdefgh' https://x.example.com and then "
                 "password=hunter2 retried")
    assert out == ("curl -H 'Authorization: Bearer [redacted: credentials]' "
                   "https://x.example.com and then password=[redacted: secret] retried")
    assert redact("postgresql://bob:pw@db/x") == "postgresql://bob:[redacted: password]@db/x"


def test_a_private_key_block_goes_whole_and_the_rest_stays():
    out = redact(f"before\n{PEM}\nafter")
    assert out == "before\n[redacted: private key]\nafter"


def test_redaction_is_idempotent():
    for text, _, _ in SECRETS:
        once = redact(text)
        assert redact(once) == once
