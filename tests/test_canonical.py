"""The bytes the hash chain covers: ``Entry.canonical`` writes them field by field (a report
hashes every entry it reads), and must give exactly what the general JSON encoder gives, for
anything a row can hold, damaged rows included: a single byte apart and every chain written
before would stop verifying."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from warroom.base.model import CANONICAL_FIELDS, Entry

# Text from the whole of Unicode except lone surrogates (no row can hold them: the store
# writes UTF-8), control characters, quotes and backslashes included.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
DATA = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
NUMBER = st.integers() | st.none() | st.booleans() | TEXT


def general(entry: Entry) -> bytes:
    """What the chain has always hashed: the fields as one JSON object, keys sorted."""
    payload = {name: getattr(entry, name) for name in CANONICAL_FIELDS}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


@settings(max_examples=500, deadline=None, derandomize=True)
@given(seq=st.integers() | st.booleans(), amends=NUMBER, data=st.dictionaries(TEXT, DATA) | DATA,
       texts=st.lists(TEXT, min_size=8, max_size=8))
def test_field_by_field_is_the_general_encoding(seq, amends, data, texts):
    uid, kind, author, host, session, occurred, recorded, text = texts
    entry = Entry("INC-1", seq, uid, kind, author, occurred, recorded, text, data, amends,
                  host, session)
    assert entry.canonical() == general(entry)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(field=st.sampled_from(("uid", "kind", "author", "host", "session", "occurred_at",
                              "recorded_at", "text")),
       value=st.none() | st.integers() | st.lists(TEXT, max_size=2))
def test_a_field_that_is_not_text_is_encoded_as_json_would(field, value):
    fields = dict(incident="INC-1", seq=3, uid="u", kind="note", author="a",
                  occurred_at="2026-12-03T06:22:29.000000Z",
                  recorded_at="2026-12-03T06:22:29.000000Z", text="t")
    fields[field] = value
    entry = Entry(**fields)
    assert entry.canonical() == general(entry)


def test_a_known_entry_hashes_as_it_always_has():
    entry = Entry("INC-1", 2, "u-1", "note", "sam", "2026-12-03T06:22:29.000000Z",
                  "2026-12-03T06:22:30.000000Z", 'can\'t "quote" \\ é 😀\n\x1b[2J', {"b": [1, 2.5, None], "a": True},
                  None, "host", "s-1")
    assert entry.canonical() == (
        '{"amends":null,"author":"sam","data":{"a":true,"b":[1,2.5,null]},"host":"host",'
        '"kind":"note","occurred_at":"2026-12-03T06:22:29.000000Z",'
        '"recorded_at":"2026-12-03T06:22:30.000000Z","seq":2,"session":"s-1",'
        '"text":"can\'t \\"quote\\" \\\\ é 😀\\n\\u001b[2J","uid":"u-1"}').encode("utf-8")


def test_an_entry_read_from_the_store_is_the_constructors_entry():
    """``stored_entry`` fills the fields in directly: it must make exactly the dataclass the
    constructor makes (a field added to Entry and not to it fails here)."""
    from dataclasses import fields

    from warroom.base.model import stored_entry

    values = ("INC-1", 2, "u-1", "note", "sam", "2026-12-03T06:22:29.000000Z",
              "2026-12-03T06:22:30.000000Z", "text", {"a": 1}, 1, "host", "s-1", "p" * 64,
              "h" * 64, 7, "postgres")
    made, built = stored_entry(*values), Entry(*values)
    assert made == built and vars(made) == vars(built)
    assert list(vars(made)) == [f.name for f in fields(Entry)]
    assert made.occurred == built.occurred and hash(made.uid) == hash(built.uid)
