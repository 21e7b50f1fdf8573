"""docs/deploying.md stays in step with the settings and the deployment files."""
import os
import re
from dataclasses import fields

from paddles_mongo.config import ENV_ALIASES, Settings
from tests.deploy.support import ROOT

GUIDE = os.path.join(ROOT, "docs", "deploying.md")


def guide():
    with open(GUIDE) as text:
        return text.read()


def test_every_setting_is_documented_with_its_variable_and_default():
    text = guide()
    for setting in fields(Settings):
        row = next((line for line in text.splitlines() if line.startswith(f"| `{setting.name}` |")),
                   None)
        assert row, f"{setting.name} missing from the settings table"
        assert f"`PADDLES_{setting.name.upper()}`" in row
        if setting.name in ENV_ALIASES:
            assert f"`{ENV_ALIASES[setting.name]}`" in row
        default = setting.default
        assert ("empty" in row) if default == "" else (f"`{default}`" in row), row


def test_every_setting_of_the_example_file_is_documented():
    text = guide()
    with open(os.path.join(ROOT, "config.example.yaml")) as example:
        names = re.findall(r"^(\w+):", example.read(), re.MULTILINE)
    assert names
    for name in names:
        assert f"| `{name}` |" in text, name


def test_the_guide_names_the_deployment_files():
    text = guide()
    for path in ("deploy/supervisord.conf", "deploy/paddles-mongo.service",
                 "paddles_mongo/gunicorn_config.py", "scripts/create-indexes"):
        assert path in text
        assert os.path.exists(os.path.join(ROOT, path))
