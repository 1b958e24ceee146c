"""The package exports exactly its documented public names."""

import bot


def test_all_names_resolve():
    for name in bot.__all__:
        assert getattr(bot, name) is not None, name


def test_public_api_names():
    assert {"FAQBot", "Answer", "Citation", "Passage", "Settings", "InvalidQuestion"} <= set(bot.__all__)
    assert set(dir(bot)) == set(bot.__all__)


def test_unknown_name_raises_attribute_error():
    try:
        bot.NotAThing  # noqa: B018
    except AttributeError as error:
        assert "NotAThing" in str(error)
    else:
        raise AssertionError("bot.NotAThing should not exist")
