"""Every example of docs/querying.md, run with the real mongosh against a real MongoDB wire
server loaded with the test lab (fixture_lab.py), must print exactly the output the document
shows after it.

mongosh 2.12.0 is installed with npm into .cache/mongosh the first time (about 30 s); a failed
install fails the tests. Comparison: per line, leading/trailing whitespace stripped and inner
runs of whitespace collapsed; blank lines ignored.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from . import fixture_lab

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "querying.md"
MONGOSH_VERSION = "2.12.0"
MONGOSH_PREFIX = REPO / ".cache" / "mongosh"
MONGOSH = MONGOSH_PREFIX / "bin" / "mongosh"
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 60

pytestmark = pytest.mark.wire(reason="mongosh, another process, reaches the database over the wire")

FENCE = re.compile(r"^```(\w*)\s*$")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")


def parse_examples(text):
    """[(title, js, expected)] for every ```js block, each of which must be followed (blank
    lines aside) by a ```text block. `title` is the nearest heading, suffixed when a section
    has several examples."""
    blocks = []  # (heading, language, body, line number)
    heading, lines, i = None, text.splitlines(), 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence:
            start, language, body = i + 1, fence.group(1), []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"{DOC.name}:{start}: unclosed code block")
            blocks.append((heading, language, "\n".join(body), start, i))
        else:
            match = HEADING.match(lines[i])
            if match:
                heading = match.group(1)
        i += 1
    examples, seen = [], {}
    for index, (heading, language, body, start, end) in enumerate(blocks):
        if language != "js":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (following is None or following[1] != "text"
                or any(line.strip() for line in lines[end + 1:following[3] - 1])):
            raise ValueError(f"{DOC.name}:{start}: a js block must be followed by a text block")
        seen[heading] = seen.get(heading, 0) + 1
        title = heading if seen[heading] == 1 else f"{heading} ({seen[heading]})"
        examples.append((title, body, following[2]))
    return examples


def normalise(output):
    lines = (" ".join(line.split()) for line in output.strip().splitlines())
    return [line for line in lines if line]


EXAMPLES = parse_examples(DOC.read_text())


def test_document_has_the_examples():
    titles = [title for title, _, _ in EXAMPLES]
    for wanted in ("Failures by branch last week", "Slowest jobs of a suite",
                   "What ran on a node", "Runs still queued", "Jobs by failure reason",
                   "Flaky descriptions", "Checking index use with explain()"):
        assert wanted in titles, titles
    assert len(set(titles)) == len(titles)


def installed_version():
    try:
        result = subprocess.run([str(MONGOSH), "--version"], capture_output=True, text=True,
                                timeout=RUN_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@pytest.fixture(scope="session")
def mongosh():
    """Path of mongosh MONGOSH_VERSION, installed with npm under .cache/ if missing."""
    if installed_version() != MONGOSH_VERSION:
        npm = shutil.which("npm")
        assert npm, "npm is needed to install mongosh (tests/docs)"
        shutil.rmtree(MONGOSH_PREFIX, ignore_errors=True)
        MONGOSH_PREFIX.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [npm, "install", "--prefix", str(MONGOSH_PREFIX), "-g",
             f"mongosh@{MONGOSH_VERSION}", "--no-audit", "--no-fund"],
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        assert result.returncode == 0, f"npm install mongosh failed:\n{result.stderr}"
        assert installed_version() == MONGOSH_VERSION, "mongosh did not install"
    return MONGOSH


@pytest.fixture(scope="session")
def mongosh_home(tmp_path_factory):
    """mongosh writes ~/.mongodb; keep it out of the real home."""
    return tmp_path_factory.mktemp("mongosh-home")


@pytest.fixture
def lab(client, database, database_uri):
    fixture_lab.load(client, database)
    return database_uri


@pytest.mark.parametrize("code,expected", [pytest.param(code, expected, id=title)
                                           for title, code, expected in EXAMPLES])
def test_example(mongosh, mongosh_home, lab, code, expected):
    env = {**os.environ, "HOME": str(mongosh_home)}
    result = subprocess.run([str(mongosh), "--quiet", "--norc", lab, "--eval", code],
                            capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, f"mongosh failed:\n{result.stdout}\n{result.stderr}"
    assert normalise(result.stdout) == normalise(expected), result.stdout
