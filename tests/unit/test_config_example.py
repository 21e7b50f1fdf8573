"""config.example.yaml documents every setting with its default, so it cannot drift."""
import os
import re

from paddles_mongo.config import Settings, load_settings

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "config.example.yaml")


def test_example_lists_every_setting_with_its_default():
    with open(EXAMPLE) as example:
        listed = set(re.findall(r"^(\w+):", example.read(), flags=re.MULTILINE))
    assert listed == set(Settings.__dataclass_fields__)
    assert load_settings(path=EXAMPLE, environ={}) == Settings()
