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


# ---------------------------------------------------------------- the forms of issue 18
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FORMS = [
    # (what was pasted, what must not survive, the label that replaces it)
    ("psql --password hunter2x -h db", "hunter2x", "password"),
    ("mytool --password=hunter2x", "hunter2x", "password"),
    ("vault login --token s.AbCdEf123456", "s.AbCdEf123456", "password"),
    ("mysql -u root -pHunter2x prod", "Hunter2x", "password"),
    ("mysqldump -h db -u app -pS3cr3t! shop > dump.sql", "S3cr3t!", "password"),
    ("curl -u admin:pw0rdX https://api.example.com", "pw0rdX", "password"),
    ("curl --user admin:pw0rdX https://api.example.com", "pw0rdX", "password"),
    ("sshpass -p Hunter2x ssh root@db-1", "Hunter2x", "password"),
    ("export DB_PASS=Hunter2x", "Hunter2x", "secret"),
    ("PGPASSWORD=Hunter2x psql -h db", "Hunter2x", "secret"),
    ("db_pass: Hunter2x", "Hunter2x", "secret"),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET, "secret"),
    (f"aws keys: AKIA{'IOSFODNN7EXAMPLE'} {AWS_SECRET}", AWS_SECRET, "AWS secret key"),
    ("DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=Zm9vYmFyYmF6cXV4+/==;"
     "EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4", "secret"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature="
     "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "fe5f80f77d5fa3be",
     "signature"),
    ("https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sig=AbCd%2BEfGh%3D", "AbCd%2BEfGh",
     "signature"),
    ("stripe key sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", "Stripe key"),
    ("test key sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", "Stripe key"),
    ("SG." + "ngeVfQFYQlKU0ufo8x5d1A" + "." + "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
     "ngeVfQFYQlKU0ufo8x5d1A", "SendGrid key"),
    ("twilio SK" + "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef",
     "Twilio key"),
    ("token split: ghp_" + "a1B2c3D4e5F6g7H8i9J0\nk1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0",
     "GitHub token"),
    ("-----begin rsa private key-----\nMIIEowIBAAKCAQEA7bq\n-----end rsa private key-----",
     "MIIEowIBAAKCAQEA7bq", "private key"),
    ("postgresql://bob:pa/ss@word@db.internal/x", "pa/ss", "password"),
    ("mail root@localhost about it", "root@localhost", "email"),
    ("write to ops@exämple.de or оps@пример.рф", "exämple", "email"),
    ("the box at 10.20.30.40 stopped", "10.20.30.40", "IP address"),
    ("ping 2001:db8:85a3::8a2e:370:7334 and fe80::1", "2001:db8", "IP address"),
    ("pass\u200bword=Hunter2x", "Hunter2x", "secret"),
    ("pаssword=Hunter2x", "Hunter2x", "secret"),                      # Cyrillic a
    ("ｔｏｋｅｎ=Hunter2x", "Hunter2x", "secret"),                        # full-width
    ("Authori\u200bzation: Bearer abcdefghijkl", "abcdefghijkl", "credentials"),
]

FORMS_BENIGN = [
    "deployed v2.13.2 and 1.2.3.4.5 of the chart",
    "14:05:00 deploy 4512 rolled back; p95 410ms at 14:07",
    "git sha 4b825dc642cb6eb9a060e54bf8d69288fbee4904 was the last good one",
    "see /var/lib/postgresql/15/main/pg_wal/000000010000000A0000004B",
    "std::vector and Foo::Bar are C++",
    "the pass rule for the handshake was missing",
    "we bypass: the cache",
    "ask @sam about it",
    "https://grafana.example.com:3000/d/abc?orgId=1&from=now-6h",
    "Привет, это просто текст",
    "…and then it worked ½ the time",
]


@pytest.mark.parametrize("text, secret, label", FORMS)
def test_every_form_is_redacted(text, secret, label):
    out = redact(text)
    assert secret not in out, out
    assert (f"[redacted: {label}]" if label != "email" else "[email]") in out, out
    assert redact(out) == out


@pytest.mark.parametrize("text", FORMS_BENIGN)
def test_prose_and_numbers_survive(text):
    assert redact(text) == text
