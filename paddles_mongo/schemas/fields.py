"""Field types for the documents clients send: lenient where teuthology is loose (numbers for
strings), strict where a wrong type would corrupt data (objects where a string belongs)."""
import math
from datetime import datetime

from marshmallow import ValidationError, fields

from ..storage import INT64_MAX, INT64_MIN
from ..timeformat import UPDATED_FORMAT, TimeFormatError, parse_teuthology_timestamp


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Text(fields.Field):
    """A string. Numbers become their string form: teuthology sends `job_id` and `pid` as
    integers and YAML turns `os_version: 22.04` into a float."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if _is_number(value) and math.isfinite(value):
            return str(value)
        raise ValidationError(f"{attr} must be a string")


class Integer(fields.Field):
    """A 64-bit integer, given as an integer, an integral float (`10.0`) or a numeric string."""

    def __init__(self, round_fractions=False, **kwargs):
        self.round_fractions = round_fractions
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = value
        if isinstance(value, str):
            try:
                number = float(value) if self.round_fractions else int(value.strip())
            except ValueError:
                raise ValidationError(f"{attr} must be an integer") from None
        if not _is_number(number) or not math.isfinite(number):
            raise ValidationError(f"{attr} must be an integer")
        if isinstance(number, float):
            if not (self.round_fractions or number.is_integer()):
                raise ValidationError(f"{attr} must be an integer")
            number = round(number)
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValidationError(f"{attr} must fit in 64 bits")
        return number


class Boolean(fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError(f"{attr} must be true or false") from None


class Json(fields.Raw):
    """Free-form JSON metadata, stored as a real subdocument."""

    def __init__(self, object_only=False, **kwargs):
        self.object_only = object_only
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if self.object_only and not isinstance(value, dict):
            raise ValidationError(f"{attr} must be an object")
        return value


class TeuthologyTimestamp(fields.Field):
    """`YYYY-MM-DD_HH:MM:SS` in, a datetime stored as given (no zone shift)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_teuthology_timestamp(value)
        except TimeFormatError as error:
            raise ValidationError(str(error)) from None


class LocalDateTime(fields.Field):
    """`YYYY-MM-DD HH:MM:SS[.frac]` in the server's zone (fraction dropped, as the original
    did); returned naive, and shifted to UTC by the caller, who knows the zone."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(f"{attr} must be a string formatted YYYY-MM-DD HH:MM:SS")
        try:
            return datetime.strptime(value.split(".", 1)[0], UPDATED_FORMAT)
        except ValueError:
            raise ValidationError(
                f"{attr} must be formatted YYYY-MM-DD HH:MM:SS[.ffffff], got {value!r}") from None


class BooleanLiteral(fields.Field):
    """A query-string boolean, spelled as PostgreSQL reads them (the original compared the raw
    string to a boolean column): true/false, t/f, yes/no, y/n, on/off, 1/0, any case."""

    TRUE = ("true", "t", "yes", "y", "on", "1")
    FALSE = ("false", "f", "no", "n", "off", "0")

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(f"{attr} must be a boolean (true/false, yes/no, on/off, 1/0)")


class WireDateTime(fields.Field):
    """A datetime as this API writes them (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC); also accepts a
    `T` separator."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.strip()).replace(tzinfo=None)
            except ValueError:
                pass
        raise ValidationError(f"{attr} must be a date and time formatted YYYY-MM-DD HH:MM:SS")


class Name(Text):
    """The name that identifies a run, node or queue: required, non-empty, and free of `/`
    (a name with one could never be addressed in a URL); the original's message kept."""

    def __init__(self, key, **kwargs):
        self.required_message = f"could not find required key: '{key}'"
        messages = {"required": self.required_message, "null": self.required_message}
        super().__init__(required=True, error_messages=messages, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value:
            raise ValidationError(self.required_message)
        if "/" in value:
            raise ValidationError(f"{attr} must not contain '/'")
        return value
