"""Plays DuckDuckGo's HTML search endpoint: POST /html/ with the form field `q`, answering result markup."""

from html import escape
from urllib.parse import quote

from .http_server import FakeServer, RecordedRequest, Reply

_AD = """
<div class="result results_links results_links_deep result--ad ">
  <div class="links_main links_deep result__body">
    <h2 class="result__title"><a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=shop.example&amp;ad_provider=bing">Buy {q} now</a></h2>
    <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=shop.example">Sponsored</a>
  </div>
</div>"""

_RESULT = """
<div class="result results_links results_links_deep web-result ">
  <div class="links_main links_deep result__body">
    <h2 class="result__title">
      <a rel="nofollow" class="result__a" href="//duckduckgo.com/l/?uddg={target}&amp;rut=abc{n}">Result {n} for <b>{q}</b></a>
    </h2>
    <div class="result__extras"><div class="result__extras__url"><a class="result__url" href="#">site{n}.example</a></div></div>
    <a class="result__snippet" href="//duckduckgo.com/l/?uddg={target}">About <b>{q}</b> &amp; more, number {n}.</a>
    <div class="clear"></div>
  </div>
</div>"""


class FakeDuckDuckGo(FakeServer):
    def __init__(self, results: int = 7):
        super().__init__()
        self.results = results
        self.throttled = False

    def route(self, request: RecordedRequest) -> Reply:
        if request.path != "/html/":
            return Reply(404, "Not Found")
        if self.throttled:
            return Reply(202, "<html><body><form id=challenge-form></form></body></html>", {"Content-Type": "text/html"})
        query = request.form().get("q", "")
        if query == "nothing-matches":
            items = '<div class="no-results">No results.</div>'
        else:
            q = escape(query)
            items = _AD.format(q=q) + "".join(
                _RESULT.format(n=n, q=q, target=quote(f"https://site{n}.example/page?x=1&y=2", safe="")) for n in range(1, self.results + 1)
            )
        page = f"<!DOCTYPE html><html><head><title>{escape(query)} at DuckDuckGo</title></head><body>{items}</body></html>"
        return Reply(200, page, {"Content-Type": "text/html; charset=UTF-8"})
