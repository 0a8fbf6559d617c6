"""The outbound-request guard, proven with real request attempts through the client.

Safety rule: no test sends a packet off this machine. Loopback refusals run against real local
servers that must receive nothing. Every other refusal goes through a client whose resolver is a
table and whose transport refuses to connect anywhere but 127.0.0.1, so even a broken guard could
not reach a private, link-local or public address.
"""

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time

import httpx
import pytest

from pkg.guarded_http import (
    GuardedHttpClient,
    OutboundPolicy,
    OutboundRequestFailed,
    OutboundRequestRefused,
)
from test.fakes.http_server import RecordedRequest, Reply
from test.fakes.scripted_server import ScriptedServer

LOCAL_ONLY = OutboundPolicy(allow_hosts=("127.0.0.1",))


class LoopbackOnlyTransport(httpx.BaseTransport):
    """The safety net: whatever the guard decides, only 127.0.0.1 is ever connected to."""

    def __init__(self, **transport_options):
        self._real = httpx.HTTPTransport(**transport_options)
        self.connect_attempts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.connect_attempts.append(request.url.host)
        if request.url.host != "127.0.0.1":
            raise AssertionError(f"a test tried to connect to {request.url.host}; only 127.0.0.1 is allowed")
        return self._real.handle_request(request)

    def close(self) -> None:
        self._real.close()


class TableResolver:
    """Name resolution from a fixed table; unknown names fail instead of reaching real DNS."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.lookups: list[str] = []

    def __call__(self, hostname: str):
        self.lookups.append(hostname)
        if hostname not in self.table:
            raise socket.gaierror(f"{hostname} is not in the test's table")
        return [ipaddress.ip_address(address) for address in self.table[hostname]]


def sandboxed(policy: OutboundPolicy = LOCAL_ONLY, dns: dict[str, list[str]] | None = None, **transport_options):
    transport = LoopbackOnlyTransport(**transport_options)
    resolver = TableResolver(dns or {})
    return GuardedHttpClient(policy, resolver=resolver, transport=transport), transport, resolver


@pytest.fixture
def serve():
    started: list[ScriptedServer] = []

    def start(route=None, host: str = "127.0.0.1") -> ScriptedServer:
        server = ScriptedServer(route, host).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def echo(request: RecordedRequest) -> Reply:
    return Reply(200, {"path": request.path, "method": request.method})


# --- what goes through -------------------------------------------------------------------------


def test_allowed_request_carries_params_headers_cookies_and_body(serve):
    server = serve(lambda r: Reply(201, "créé", {"Content-Type": "text/plain; charset=utf-8", "X-Reply": "yes"}))
    client, transport, _ = sandboxed()

    response = client.request(
        "post",
        f"{server.url}/items?fixed=1",
        params={"q": "北京 weather", "page": 2},
        headers={"X-Api-Key": "k-123"},
        cookies={"session": "a b;c", "plain": "v"},
        json={"name": "x", "count": 3},
    )

    assert response.status_code == 201 and response.text == "créé" and not response.truncated
    assert response.headers["x-reply"] == "yes"
    assert response.url.startswith(server.url) and "fixed=1" in response.url
    received = server.requests[0]
    assert received.method == "POST" and received.path == "/items"
    assert received.query == {"fixed": ["1"], "q": ["北京 weather"], "page": ["2"]}
    assert received.headers["x-api-key"] == "k-123"
    assert received.headers["host"] == f"127.0.0.1:{server.port}"
    assert received.headers["cookie"] == "session=a%20b%3Bc; plain=v"
    assert received.json() == {"name": "x", "count": 3}
    assert transport.connect_attempts == ["127.0.0.1"]


def test_callers_cannot_set_the_host_or_framing_headers(serve):
    server = serve(echo)
    client, _, _ = sandboxed()
    client.request("GET", server.url, headers={"host": "internal.test", "Transfer-Encoding": "chunked", "X-Ok": "1"})
    received = server.requests[0]
    assert received.headers["host"] == f"127.0.0.1:{server.port}"
    assert "transfer-encoding" not in received.headers and received.headers["x-ok"] == "1"


def test_form_data_is_sent_form_encoded(serve):
    server = serve(echo)
    client, _, _ = sandboxed()
    client.request("POST", server.url + "/form", data={"a": "1", "b": "two"})
    assert server.requests[0].form() == {"a": "1", "b": "two"}


# --- loopback: real local servers that must receive nothing -----------------------------------


@pytest.mark.parametrize(
    ("bind_host", "url_host", "policy"),
    [
        ("127.0.0.1", "127.0.0.1", OutboundPolicy()),  # loopback is closed unless allow-listed
        ("127.0.0.1", "localhost", OutboundPolicy()),
        ("127.0.0.1", "2130706433", OutboundPolicy()),  # 127.0.0.1 written as one decimal number
        ("127.0.0.1", "127.1", OutboundPolicy()),
        ("127.0.0.2", "127.0.0.2", LOCAL_ONLY),  # opening 127.0.0.1 opens nothing else
        ("::1", "[::1]", LOCAL_ONLY),
        ("127.0.0.2", "[::ffff:127.0.0.2]", LOCAL_ONLY),
    ],
)
def test_loopback_targets_are_refused_and_receive_nothing(serve, bind_host, url_host, policy):
    server = serve(echo, host=bind_host)
    client = GuardedHttpClient(policy)  # real resolver and transport: every candidate is on this machine

    with pytest.raises(OutboundRequestRefused, match="loopback"):
        client.request("GET", f"http://{url_host}:{server.port}/secret")
    assert server.requests == []


@pytest.mark.parametrize("addresses", [["127.0.0.2"], ["127.0.0.1", "127.0.0.2"], ["127.0.0.1", "::1"]])
def test_a_name_is_refused_when_any_of_its_addresses_is_off_limits(serve, addresses):
    allowed, other = serve(echo), serve(echo, host="127.0.0.2")
    resolver = TableResolver({"local-alias.test": addresses})
    client = GuardedHttpClient(LOCAL_ONLY, resolver=resolver)

    with pytest.raises(OutboundRequestRefused, match="loopback"):
        client.request("GET", f"http://local-alias.test:{allowed.port}/")
    assert allowed.requests == [] and other.requests == []


# --- everything else off the machine: refused before any connection is attempted ---------------

OFF_MACHINE = [
    ("10.0.0.7", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.10", "private"),
    ("fc00::1", "private"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("168.63.129.16", "cloud metadata"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "not a public address"),
    ("::ffff:10.0.0.7", "private"),
    ("2002:a9fe:a9fe::1", "cloud metadata"),  # 6to4 wrapping 169.254.169.254
]


@pytest.mark.parametrize(("address", "reason"), OFF_MACHINE)
def test_off_machine_addresses_are_refused_by_name(address, reason):
    client, transport, resolver = sandboxed(dns={"target.test": [address]})

    with pytest.raises(OutboundRequestRefused, match=reason):
        client.request("GET", "http://target.test/latest/meta-data/")
    assert resolver.lookups == ["target.test"]
    assert transport.connect_attempts == []


@pytest.mark.parametrize(("address", "reason"), OFF_MACHINE)
def test_off_machine_addresses_are_refused_as_literals(address, reason):
    client, transport, resolver = sandboxed()
    host = f"[{address}]" if ":" in address else address

    with pytest.raises(OutboundRequestRefused, match=reason):
        client.request("POST", f"https://{host}:8443/x", json={"a": 1})
    assert resolver.lookups == [] and transport.connect_attempts == []


def test_public_name_with_one_private_address_is_refused():
    client, transport, _ = sandboxed(dns={"mostly-public.test": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(OutboundRequestRefused, match="10.1.2.3 is a private address"):
        client.request("GET", "http://mostly-public.test/")
    assert transport.connect_attempts == []


def test_the_allow_list_never_opens_cloud_metadata():
    policy = OutboundPolicy(allow_hosts=("169.254.0.0/16", "metadata.google.internal", "0.0.0.0/0"))
    client, transport, _ = sandboxed(policy, dns={"metadata.google.internal": ["169.254.169.254"]})

    for url in ("http://metadata.google.internal/computeMetadata/v1/", "http://169.254.169.254/latest/", "http://0.0.0.0/"):
        with pytest.raises(OutboundRequestRefused, match="metadata|unspecified"):
            client.request("GET", url)
    assert transport.connect_attempts == []


def test_unresolvable_names_fail_without_connecting():
    client, transport, _ = sandboxed()
    with pytest.raises(OutboundRequestFailed, match="could not resolve nowhere.test"):
        client.request("GET", "http://nowhere.test/")
    assert transport.connect_attempts == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/pub",
        "gopher://127.0.0.1:70/_x",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "dict://127.0.0.1:11211/stat",
        "ws://127.0.0.1/socket",
        "http:///no-host",
        "//127.0.0.1/no-scheme",
        "",
    ],
)
def test_only_http_and_https_urls_with_a_host_are_accepted(url):
    client, transport, resolver = sandboxed()
    with pytest.raises(OutboundRequestRefused):
        client.request("GET", url)
    assert transport.connect_attempts == [] and resolver.lookups == []


# --- the allow-list, and connecting to the address that was checked ---------------------------


def test_an_allowed_network_opens_its_addresses(serve):
    server = serve(echo, host="127.0.0.2")
    client = GuardedHttpClient(OutboundPolicy(allow_hosts=("127.0.0.0/29",)))
    assert client.request("GET", server.url + "/open").status_code == 200
    assert server.requests[0].path == "/open"


def test_an_allowed_hostname_is_reached_at_its_checked_address_under_its_own_name(serve):
    server = serve(echo)
    client, transport, resolver = sandboxed(
        OutboundPolicy(allow_hosts=("API.Internal.test",)), dns={"api.internal.test": ["127.0.0.1"]}
    )

    response = client.request("GET", f"http://api.internal.test:{server.port}/v1")

    assert response.status_code == 200 and response.url == f"http://api.internal.test:{server.port}/v1"
    assert server.requests[0].headers["host"] == f"api.internal.test:{server.port}"
    assert transport.connect_attempts == ["127.0.0.1"] and resolver.lookups == ["api.internal.test"]


def test_a_second_dns_answer_cannot_redirect_the_connection(serve):
    """DNS rebinding: the name is resolved once per hop and the checked address is what gets dialled."""
    server = serve(echo)
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])

    def rebinding_resolver(hostname):
        return [ipaddress.ip_address(a) for a in next(answers)]

    client = GuardedHttpClient(LOCAL_ONLY, resolver=rebinding_resolver, transport=LoopbackOnlyTransport())
    assert client.request("GET", f"http://rebind.test:{server.port}/").status_code == 200
    assert len(server.requests) == 1


def test_allow_list_entries_must_be_well_formed():
    with pytest.raises(ValueError, match="not a valid IP network"):
        OutboundPolicy(allow_hosts=("10.0.0.0/33",))


# --- redirects, each hop checked again ---------------------------------------------------------


def redirect_to(location: str, status: int = 302):
    return lambda _request: Reply(status, b"", {"Location": location})


def test_redirect_to_another_loopback_address_is_refused(serve):
    target = serve(echo, host="127.0.0.2")
    start = serve(redirect_to(f"{target.url}/admin"))
    client = GuardedHttpClient(LOCAL_ONLY)

    with pytest.raises(OutboundRequestRefused, match="127.0.0.2 is a loopback address"):
        client.request("GET", start.url + "/go")
    assert len(start.requests) == 1 and target.requests == []


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://metadata.test/latest/meta-data/iam/", "cloud metadata"),
        ("http://10.20.30.40:8080/internal", "private"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_redirect_off_the_machine_is_refused_before_connecting(serve, location, error):
    start = serve(redirect_to(location, 307))
    client, transport, _ = sandboxed(dns={"metadata.test": ["169.254.169.254"]})

    with pytest.raises(OutboundRequestRefused, match=error):
        client.request("POST", start.url + "/go", json={"x": 1})
    assert transport.connect_attempts == ["127.0.0.1"]


def test_redirects_within_allowed_targets_are_followed_with_browser_method_rules(serve):
    def route(request: RecordedRequest) -> Reply:
        if request.path == "/start":
            return Reply(307, b"", {"Location": "/middle"})  # 307 keeps POST and its body
        if request.path == "/middle":
            return Reply(303, b"", {"Location": "end?done=1"})  # 303 turns it into GET
        return Reply(200, "arrived")

    server = serve(route)
    client, _, _ = sandboxed()
    response = client.request("POST", server.url + "/start", json={"keep": True})

    assert response.text == "arrived" and response.url == server.url + "/end?done=1"
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/start"), ("POST", "/middle"), ("GET", "/end")]
    assert server.requests[1].json() == {"keep": True} and server.requests[2].body == b""


def test_caller_headers_stay_with_their_origin_across_redirects(serve):
    other_origin = serve(echo)
    same_origin_hop = {"done": False}

    def route(request: RecordedRequest) -> Reply:
        if not same_origin_hop["done"]:
            same_origin_hop["done"] = True
            return Reply(302, b"", {"Location": "/again"})
        return Reply(302, b"", {"Location": other_origin.url + "/elsewhere"})

    start = serve(route)
    client, _, _ = sandboxed()
    client.request("GET", start.url + "/", headers={"Authorization": "Bearer secret"}, cookies={"sid": "1"})

    assert start.requests[1].headers["authorization"] == "Bearer secret"
    assert start.requests[1].headers["cookie"] == "sid=1"
    landed = other_origin.requests[0]
    assert "authorization" not in landed.headers and "cookie" not in landed.headers


def test_too_many_redirects_are_refused(serve):
    loop = serve(redirect_to("/again"))
    client, _, _ = sandboxed(OutboundPolicy(allow_hosts=("127.0.0.1",), max_redirects=2))
    with pytest.raises(OutboundRequestRefused, match="more than 2 redirects"):
        client.request("GET", loop.url + "/")
    assert len(loop.requests) == 3


# --- size and time limits -----------------------------------------------------------------------


def test_a_long_response_is_cut_at_the_limit_and_marked_truncated(serve):
    server = serve(lambda _r: Reply(200, b"x" * 5000))
    client, _, _ = sandboxed(OutboundPolicy(allow_hosts=("127.0.0.1",), max_response_bytes=1000))

    response = client.request("GET", server.url)
    assert len(response.content) == 1000 and response.truncated


def test_a_response_of_exactly_the_limit_is_whole(serve):
    server = serve(lambda _r: Reply(200, b"y" * 1000))
    client, _, _ = sandboxed(OutboundPolicy(allow_hosts=("127.0.0.1",), max_response_bytes=1000))

    response = client.request("GET", server.url)
    assert response.content == b"y" * 1000 and not response.truncated


def test_a_server_that_does_not_answer_in_time_fails_the_request(serve):
    def slow(_request):
        time.sleep(1.5)
        return Reply(200, "too late")

    server = serve(slow)
    client, _, _ = sandboxed(OutboundPolicy(allow_hosts=("127.0.0.1",), timeout=0.3))
    started = time.monotonic()
    with pytest.raises(OutboundRequestFailed, match="timed out"):
        client.request("GET", server.url)
    assert time.monotonic() - started < 1.2


@pytest.fixture
def dripping_server():
    """Sends headers at once, then one body byte every 0.1 s for a long time."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve_one():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(100):
                if stop.wait(0.1):
                    break
                try:
                    conn.sendall(b".")
                except OSError:
                    break

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_the_timeout_bounds_the_whole_request_not_each_read(dripping_server):
    client, _, _ = sandboxed(OutboundPolicy(allow_hosts=("127.0.0.1",), timeout=0.5))
    started = time.monotonic()
    with pytest.raises(OutboundRequestFailed, match="timed out"):
        client.request("GET", dripping_server)
    assert time.monotonic() - started < 1.5


# --- https: the checked address is dialled, the certificate is checked against the name --------


@pytest.fixture
def tls_server(tmp_path, serve):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=api.internal.test",
         "-addext", "subjectAltName=DNS:api.internal.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server = ScriptedServer(echo)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.sni_names = []
    context.sni_callback = lambda _sock, name, _ctx: server.sni_names.append(name)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    server.start()
    yield server, ssl.create_default_context(cafile=str(cert))
    server.stop()


def test_https_sends_the_name_as_sni_and_verifies_the_certificate_against_it(tls_server):
    server, trust = tls_server
    policy = OutboundPolicy(allow_hosts=("api.internal.test", "wrong-name.test"))
    dns = {"api.internal.test": ["127.0.0.1"], "wrong-name.test": ["127.0.0.1"]}
    client, transport, _ = sandboxed(policy, dns=dns, verify=trust)

    response = client.request("GET", f"https://api.internal.test:{server.port}/secure")
    assert response.status_code == 200 and server.sni_names == ["api.internal.test"]
    assert transport.connect_attempts == ["127.0.0.1"]

    with pytest.raises(OutboundRequestFailed):
        client.request("GET", f"https://wrong-name.test:{server.port}/secure")  # certificate is for another name
    assert len(server.requests) == 1
