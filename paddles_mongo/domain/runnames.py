"""Run-name parsing, exactly as the original paddles does it (spec §5.1).

Run names look like `{user}-{YYYY-MM-DD_HH:MM:SS}-{suite}-{branch}-{kernel}-{flavor}-{machine_type}`
but every part may contain `-`, so a cascade of patterns built from 2014-era lists of known suites,
machine types and distros is tried in order. The lists are kept as they were on purpose: parses
must match the original, and job documents correct suite/branch/machine_type afterwards.
"""
import re
from datetime import datetime

from ..timeformat import TEUTHOLOGY_TIMESTAMP_FORMAT

KNOWN_SUITES = (
    "big", "ceph-deploy", "clusters", "dummy", "experimental", "fs", "hadoop", "iozone",
    "kcephfs", "knfs", "krbd", "marginal", "mixed-clients", "mount", "multimds", "nfs",
    "powercycle", "rados", "rbd", "rest", "rgw", "samba", "smoke", "stress", "tgt",
    "upgrade:dumpling-x:stress-split", "upgrade:dumpling-x", "upgrade:dumpling-emperor-x",
    "upgrade-cuttlefish", "upgrade-dumpling", "upgrade-fs", "upgrade-mixed-cluster",
    "upgrade-mixed-mons", "upgrade-parallel", "upgrade-rados-double", "upgrade-rados",
    "upgrade-rbd-double", "upgrade-rbd", "upgrade-rgw-double", "upgrade-rgw", "upgrade-small",
    "upgrade", "workload",
)
KNOWN_MACHINE_TYPES = ("burnupi", "mira", "plana", "saya", "tala", "vps")
KNOWN_DISTROS = ("centos", "debian", "fedora", "opensuse", "rhel", "suse", "ubuntu")

_TIMESTAMP = r"\d{1,4}-\d{1,2}-\d{1,2}_\d{1,2}:\d{1,2}:\d{1,2}"
# A known suite may be followed by a slice such as `rados:thrash`.
_SUITE = "(?:" + "|".join(re.escape(s) + "[^-]*" for s in KNOWN_SUITES) + ")"
_BASE = (rf"(?P<user>.*)-(?P<scheduled>{_TIMESTAMP})-(?P<suite>{_SUITE})"
         r"-(?P<branch>.+)-(?P<kernel>.+)-(?P<flavor>[^-]+)")
_WITH_MACHINE_TYPE = _BASE + "-(?P<machine_type>" + "|".join(KNOWN_MACHINE_TYPES) + ")"
_WITH_DISTRO = _WITH_MACHINE_TYPE + "-(?P<distro>" + "|".join(KNOWN_DISTROS) + ")"
# The fallback is not end-anchored and its machine type is lazy, so it never captures one.
_FALLBACK = (rf"(?P<user>.*)-(?P<scheduled>{_TIMESTAMP})-(?P<suite>.*)-(?P<branch>.*)"
             r"-.*?-.*?-(?P<machine_type>.*?)")

NAME_PATTERNS = tuple(re.compile(p) for p in (
    _WITH_DISTRO + "$", _WITH_MACHINE_TYPE + "$", _BASE + "$", _FALLBACK))

PARSED_ATTRIBUTES = ("user", "suite", "branch", "machine_type")


def parse_run_name(name):
    """Return {user, suite, branch, machine_type} (empty strings where not found) and
    `scheduled`: the name's timestamp as a naive datetime, or None."""
    parsed = dict.fromkeys(PARSED_ATTRIBUTES, "")
    parsed["scheduled"] = None
    for pattern in NAME_PATTERNS:
        match = pattern.match(name)
        if match:
            break
    else:
        return parsed
    groups = {key: value.strip(" -") for key, value in match.groupdict().items()}
    for key in PARSED_ATTRIBUTES:
        parsed[key] = groups.get(key, "")
    try:
        parsed["scheduled"] = datetime.strptime(groups["scheduled"], TEUTHOLOGY_TIMESTAMP_FORMAT)
    except ValueError:
        pass  # e.g. month 13: the original crashed here; we fall back to `posted`.
    return parsed
