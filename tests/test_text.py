import pytest

from faqbot.core.text import content_terms, split_sentences, tokens


def test_tokens_keep_number_separators_and_drop_apostrophes():
    assert tokens("It’s $1,700 for 10,000 People") == ["its", "1,700", "for", "10,000", "people"]


def test_content_terms_drop_stop_words():
    assert content_terms("How do I extend the trial?") == ["extend", "trial"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It runs. It stops!", ["It runs.", "It stops!"]),
        ("Available on Sept. 1, 2023 in all regions.", ["Available on Sept. 1, 2023 in all regions."]),
        ("Use e.g. the portal. Then wait.", ["Use e.g. the portal.", "Then wait."]),
        ("- first item\n- second item", ["first item", "second item"]),
        ("1. Go to the site.\n1. Sign in.", ["Go to the site.", "Sign in."]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected
