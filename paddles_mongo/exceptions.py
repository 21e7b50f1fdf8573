"""Errors raised below the HTTP layer; `errors.py` turns each into its status and envelope."""


class PaddlesError(Exception):
    status = 500
    default_message = "internal server error"

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidInput(PaddlesError):
    status = 400
    default_message = "invalid request"


class Unauthenticated(PaddlesError):
    status = 401
    default_message = "a token is needed for this request"


class Forbidden(PaddlesError):
    status = 403
    default_message = "forbidden"


class NotFound(PaddlesError):
    status = 404
    default_message = "resource was not found"


class Unavailable(PaddlesError):
    status = 503
    default_message = "service unavailable"
