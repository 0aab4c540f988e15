"""The root of hotline's errors. Each subpackage derives its own base from `HotlineError`."""


class HotlineError(Exception):
    """Anything hotline raises on purpose."""
