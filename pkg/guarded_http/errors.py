"""Why an outbound request did not produce a response."""


class OutboundRequestError(Exception):
    """Base of both outcomes below; the message is readable by an end user or a model."""


class OutboundRequestRefused(OutboundRequestError):
    """The policy forbids the request (scheme, address, redirect count); nothing was sent."""


class OutboundRequestFailed(OutboundRequestError):
    """The request was allowed but did not complete: name resolution, connection or timeout."""
