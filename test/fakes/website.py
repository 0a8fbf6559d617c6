"""A small website on 127.0.0.1 with an HTML page, plain text, an image, a redirect and a long page."""

from .http_server import FakeServer, RecordedRequest, Reply

ARTICLE = """<!DOCTYPE html>
<html><head><title>The  LLMOps   Handbook</title>
<style>body { color: red }</style><script>var secret = "do-not-read";</script></head>
<body><nav>Home</nav>
<h1>Agents and tools</h1>
<p>An agent calls <b>tools</b> &amp; reads their answers.</p>
<noscript>enable javascript</noscript>
<ul><li>First point</li><li>Second point</li></ul>
</body></html>"""


class FakeWebsite(FakeServer):
    def __init__(self, redirect_to: str = ""):
        super().__init__()
        self.redirect_to = redirect_to

    def route(self, request: RecordedRequest) -> Reply:
        if request.path == "/article":
            return Reply(200, ARTICLE, {"Content-Type": "text/html; charset=utf-8"})
        if request.path == "/notes.txt":
            return Reply(200, "plain notes\nline two", {"Content-Type": "text/plain; charset=utf-8"})
        if request.path == "/long":
            return Reply(200, "<html><body><p>" + "word " * 5000 + "</p></body></html>", {"Content-Type": "text/html"})
        if request.path == "/logo.png":
            return Reply(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, {"Content-Type": "image/png"})
        if request.path == "/redirect":
            return Reply(302, b"", {"Location": self.redirect_to})
        return Reply(404, "<html><body>Not here</body></html>", {"Content-Type": "text/html"})
