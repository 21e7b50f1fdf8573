"""Cursor paging (`after=`): a page that starts after the previous page's last document.

A list's order is a sort on indexed fields ending in `_id` (db.py: POSTED_ORDER,
SCHEDULED_ORDER, CREATION_ORDER), so each document has a distinct position in it. The page
after a document is the query with, ANDed, "comes after that position": a bound on the
order's first field (an index range starting at the position, so a page costs the same at
any depth, whatever `page` would have skipped) and the exact tie-break on the later fields
(an `$or`, decided on the range's first keys). Documents inserted meanwhile before the
position are not in later pages, those after it are (each once): a walk neither skips nor
repeats a document that stays.

The cursor token is the order's field names and the position's values, JSON in unpadded
URL-safe base64: opaque to clients, checked when it comes back (a malformed one, or one of
another order, is a 400).

Descending fields of these orders are always set (`posted`, `scheduled`, a run's job `seq`,
`_id`); an ascending one may be missing (a node's `seq` until it is numbered), and sorts
first."""
import base64
import binascii
from datetime import datetime, timedelta

import orjson
from bson import ObjectId
from bson.errors import InvalidId

from ..db import CREATION_ORDER, POSTED_ORDER, SCHEDULED_ORDER
from ..exceptions import InvalidInput

# The orders of the paged lists, for their routes: runs by `posted` (`/runs/`) or `scheduled`
# (the run filters), jobs by `posted`, nodes by creation.
BY_POSTED, BY_SCHEDULED, BY_CREATION = POSTED_ORDER, SCHEDULED_ORDER, CREATION_ORDER

INVALID_CURSOR = "after must be a cursor from the previous page's Link or X-Next-Cursor header"
MAX_CURSOR_LENGTH = 1000
EPOCH = datetime(1970, 1, 1)
MILLISECOND = timedelta(milliseconds=1)


def next_cursor(documents, limit, order):
    """The cursor of the page after `documents` (a page of at most `limit` in `order`), or None
    when this page is not full: a full page may be the last, and the page after it empty."""
    if not limit or len(documents) < limit:
        return None
    values = [_encoded(documents[-1].get(field)) for field, _ in order]
    raw = orjson.dumps([[field for field, _ in order], values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def position(token, order):
    """The position (values of `order`'s fields) a cursor token names; 400 if it is not one of
    this order's."""
    try:
        if len(token) > MAX_CURSOR_LENGTH:
            raise ValueError
        fields, values = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if fields != [field for field, _ in order] or len(values) != len(order):
            raise ValueError
        return [_decoded(value) for value in values]
    except (ValueError, TypeError, OverflowError, binascii.Error, InvalidId):
        raise InvalidInput(INVALID_CURSOR) from None


def after(query, order, token):
    """`query` narrowed to the documents after the position of cursor `token` in `order` (the
    query itself when `token` is None)."""
    if token is None:
        return query
    values = position(token, order)
    branches = []
    for depth, ((field, direction), value) in enumerate(zip(order, values)):
        beyond = _beyond(direction, value)
        if beyond is not None:
            branches.append({**{name: earlier for (name, _), earlier
                                in zip(order[:depth], values[:depth])}, field: beyond})
    assert "$or" not in query, "a paged query has no $or of its own"
    narrowed = {**query, "$or": branches}
    (lead, direction), start = order[0], values[0]
    if start is not None:
        narrowed[lead] = _bounded(query.get(lead), "$lte" if direction < 0 else "$gte", start)
    return narrowed


def _beyond(direction, value):
    """The condition of a field's values after `value` in `direction` (None: no value is)."""
    if direction > 0:
        return {"$ne": None} if value is None else {"$gt": value}
    return None if value is None else {"$lt": value}


def _bounded(condition, operator, value):
    """`condition` (of a query's field, perhaps None or an equality) also within `operator`
    `value`, the tighter bound kept where it has one already."""
    if condition is None:
        return {operator: value}
    if not isinstance(condition, dict):
        condition = {"$eq": condition}
    tighter = min if operator == "$lte" else max
    existing = condition.get(operator)
    return {**condition, operator: value if existing is None else tighter(existing, value)}


def _encoded(value):
    if isinstance(value, datetime):
        return {"date": (value.replace(tzinfo=None) - EPOCH) // MILLISECOND}
    if isinstance(value, ObjectId):
        return {"id": str(value)}
    if value is None or isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    raise TypeError(f"cannot page on a {type(value).__name__}")


def _decoded(value):
    if isinstance(value, dict) and len(value) == 1:
        (kind, payload), = value.items()
        if kind == "date" and isinstance(payload, int) and not isinstance(payload, bool):
            return EPOCH + payload * MILLISECOND
        if kind == "id" and isinstance(payload, str):
            return ObjectId(payload)
        raise ValueError
    if value is None or isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    raise ValueError
