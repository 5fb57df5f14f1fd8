"""The HuJSON reader and in-place editor used by `remote-ollama acl --merge`."""

from __future__ import annotations

import json
import re

import pytest

from remote_ollama import hujson, hujson_edit

CASES = {
    "line comment": ('{"a": 1 // one\n}', {"a": 1}),
    "block comment": ('{/* a\n b */"a": 1}', {"a": 1}),
    "comment markers inside strings": (
        '{"url": "http://x/*y*/", "c": "// not a comment"}',
        {"url": "http://x/*y*/", "c": "// not a comment"},
    ),
    "escaped quote then comment": ('{"q": "a\\"// b" // real\n}', {"q": 'a"// b'}),
    "escaped backslash ends string": ('{"p": "C:\\\\" // c\n}', {"p": "C:\\"}),
    "trailing commas": ('{"a": [1, 2,], "b": {"c": 3,},}', {"a": [1, 2], "b": {"c": 3}}),
    "trailing comma before a comment": ('[1, // last\n]', [1]),
    "comma inside string is kept": ('["a,]", "b"]', ["a,]", "b"]),
    "comment at end of file, no newline": ("[1] // end", [1]),
    "empty containers": ("{\"a\": [], \"b\": {}}", {"a": [], "b": {}}),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_loads_reads_hujson(text, expected):
    assert hujson.loads(text) == expected


@pytest.mark.parametrize("text", [text for text, _ in CASES.values()], ids=CASES.keys())
def test_plain_json_keeps_offsets_and_newlines(text):
    plain = hujson.plain_json(text)
    assert len(plain) == len(text)
    assert [i for i, c in enumerate(plain) if c == "\n"] == [
        i for i, c in enumerate(text) if c == "\n"
    ]


def test_plain_json_without_trailing_commas_only_blanks_comments():
    assert hujson.plain_json("[1, /* x */]", trailing_commas=False) == "[1,        ]"


def test_comments_are_listed_without_markers_and_not_from_strings():
    text = '{"u": "http://a", /* block */ "b": 1 // line\n}'
    assert hujson.comments(text) == [" block ", " line"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1 /* open', "unterminated /* comment at line 1, column 9"),
        ('{"a": "open\n}', "unterminated string at line 1, column 7"),
        ('{\n  "a": [1,,]\n}', "Expecting value at line 2, column 12"),
    ],
)
def test_errors_name_line_and_column(text, message):
    with pytest.raises(hujson.HuJSONError, match=re.escape(message)):
        hujson.loads(text)


def _array(text):
    plain = hujson.plain_json(text)
    return hujson.members(plain, hujson.value_at(plain, 0))[0].value


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{\n  "a": []\n}', '{\n  "a": [\n    9\n  ]\n}'),
        ('{\n  "a": [\n    1\n  ]\n}', '{\n  "a": [\n    1,\n    9\n  ]\n}'),
        ('{\n  "a": [\n    1, // c\n  ]\n}', '{\n  "a": [\n    1, // c\n    9\n  ]\n}'),
        ('{\n\t"a": [\n\t\t1,\n\t]\n}', '{\n\t"a": [\n\t\t1,\n\t\t9\n\t]\n}'),
    ],
    ids=["empty", "no trailing comma", "comment after comma", "tabs"],
)
def test_append_item_matches_the_surrounding_style(text, expected):
    assert hujson_edit.append_item(text, _array(text), "9") == expected


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "a": [\n    1\n  ]\n}',
        '{\n  "a": [\n    1,\n  ]\n}',
        '{\n  "a": []\n}',
        '{"a": [1, 2]}',
        '{\n  "a": [ // note\n  ]\n}',
    ],
)
def test_append_then_remove_then_append_is_stable(text):
    once = hujson_edit.append_item(text, _array(text), "{\n  \"x\": 9\n}")
    last = hujson.elements(hujson.plain_json(once), _array(once))[-1]
    removed = hujson_edit.remove_item(once, last)
    again = hujson_edit.append_item(removed, _array(removed), "{\n  \"x\": 9\n}")
    assert again == once
    json.loads(hujson.plain_json(again))


def test_remove_item_in_the_middle_keeps_neighbours_and_comments():
    text = '[\n  1, // one\n  2,\n  3\n]'
    middle = hujson.elements(hujson.plain_json(text), hujson.value_at(hujson.plain_json(text), 0))[1]
    assert hujson_edit.remove_item(text, middle) == '[\n  1, // one\n  3\n]'
