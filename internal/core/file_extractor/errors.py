"""The one error of file extraction; its message is shown to the user on the failed document."""


class FileExtractError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def describe(exc: BaseException, limit: int = 200) -> str:
    """A short, single-line reason from a parser's exception, for the end of a user-facing message."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return detail if len(detail) <= limit else detail[:limit] + "…"
