"""What MongoDB can store, and how free-form metadata is stored.

Free-form metadata (`targets`, `overrides`, `tasks`, ...) keeps keys MongoDB cannot store
as field names everywhere: `ubuntu@smithi001.front.sepia.ceph.com`, `internal.check_packages`,
`$`-prefixed keys. In stored documents `%`, `.`, `$` and NUL inside keys are percent-encoded
(`smithi001%2Efront`), which every MongoDB version accepts in inserts and updates alike; the
API decodes them, so keys round-trip exactly. Values are never touched.
"""
from urllib.parse import unquote

_ENCODE = str.maketrans({"%": "%25", ".": "%2E", "$": "%24", "\0": "%00"})
MAX_DEPTH = 100  # MongoDB refuses documents nested deeper than 100 levels
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


class UnstorableValue(ValueError):
    pass


def encode_key(key):
    return key.translate(_ENCODE)


def decode_key(key):
    return unquote(key) if "%" in key else key


def _transform(value, convert):
    if isinstance(value, dict):
        return {convert(k): _transform(v, convert) for k, v in value.items()}
    if isinstance(value, list):
        return [_transform(v, convert) for v in value]
    return value


def encode_keys(value):
    return _transform(value, encode_key)


def decode_keys(value):
    return _transform(value, decode_key)


def _check_string(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnstorableValue("strings must be valid unicode (no lone surrogates)") from None


def check_storable(value):
    """Raise UnstorableValue unless MongoDB can store `value` (parsed JSON) as a document:
    at most MAX_DEPTH levels of objects/arrays, integers within 64 bits, valid unicode.
    Iterative, so hostile nesting cannot exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise UnstorableValue(f"JSON body is nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key in item:
                    _check_string(key)
                children = item.values()
            else:
                children = item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            _check_string(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            if not INT64_MIN <= item <= INT64_MAX:
                raise UnstorableValue("integers must fit in 64 bits")
