"""Nothing committed points outside the repository: a clone must be complete.

In Markdown and Python files: no `../` path that leaves the repository, and no mention of the
`shared` folder of reference specs the project was written from, which sits beside clones on
the developers' machine and is not part of the repository. In Markdown, every
relative link leads to a file of the repository and, with an anchor into a Markdown file, to
one of its headings."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The patterns are spelled so that they do not match this file's own text.
PARENT_PATH = re.compile(r"(?<![\w./-])((?:\.\./)+[^\s`'\"()<>\[\]]*)")
SPECS = (re.compile(r"\.\./+shared\b"), re.compile(r"shared/+spec\b"))
INLINE_LINK = re.compile(r"\]\(\s*<?([^()\s<>]+)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def committed(*patterns):
    listed = subprocess.run(["git", "ls-files", "--", *patterns], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout.split()
    files = [REPO / name for name in listed]
    assert files, f"git ls-files found no {patterns}"
    return files


def inside_repository(path):
    return path.resolve().is_relative_to(REPO)


def anchors(markdown_file):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, a
    repeated anchor numbered -1, -2, ..."""
    seen, result = {}, set()
    text = FENCED_BLOCK.sub("", markdown_file.read_text())
    for heading in HEADING.findall(text):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def link_problem(source, target):
    """Why a Markdown link from `source` to `target` leads nowhere in the repository, or None."""
    path, _, anchor = target.partition("#")
    path = path.split("?", 1)[0]
    if not path:
        resolved = source
    elif path.startswith("/"):
        resolved = REPO / path.lstrip("/")
    else:
        resolved = source.parent / path
    if not inside_repository(resolved):
        return "leaves the repository"
    if not resolved.exists():
        return "names no file of the repository"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"names no heading of {resolved.relative_to(REPO)}"
    return None


def test_no_path_leads_outside_the_repository():
    for source in committed("*.md", "*.py"):
        text = source.read_text()
        for path in PARENT_PATH.findall(text):
            assert inside_repository(source.parent / path), f"{source.relative_to(REPO)}: {path}"
        for mention in SPECS:
            assert not mention.search(text), f"{source.relative_to(REPO)} names the specs"


def test_markdown_links_lead_to_files_and_headings_of_the_repository():
    for source in committed("*.md"):
        text = FENCED_BLOCK.sub("", source.read_text())
        for target in INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text):
            if EXTERNAL.match(target):
                continue
            problem = link_problem(source, target)
            assert problem is None, f"{source.relative_to(REPO)}: ({target}) {problem}"
