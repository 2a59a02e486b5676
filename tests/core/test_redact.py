"""`vertice_core.redact`: cloud errors as users may read them, and as the log may hold them.

The error texts are the real ones: produced by calling the libraries drivers use
(nothing listens on port 9 of the loopback), not typed in by hand.
"""

from __future__ import annotations

import xmlrpc.client

import httpx
import pytest

from vertice_core.errors import DriverError, QuotaExceeded, Throttled, TransientError
from vertice_core.redact import MAX_PUBLIC, loggable, public_error, public_message

REFUSED = "http://127.0.0.1:9/RPC2"
ENDPOINT = "https://oned.example.test:2633/RPC2"


def raised(kind, call) -> str:
    """The text of the exception (a `kind`) `call()` raises."""
    with pytest.raises(kind) as caught:
        call()
    return f"{type(caught.value).__name__}: {caught.value}"


def assert_public(text: str, *hidden: str) -> None:
    for part in hidden:
        assert part not in text, text
    assert len(text) <= MAX_PUBLIC


def test_an_httpx_connect_error_as_a_driver_words_it():
    error = raised(httpx.ConnectError, lambda: httpx.get(REFUSED, timeout=5))
    shown = public_message(f"could not connect to {REFUSED} ({error})", endpoints=[REFUSED])
    assert shown == "could not connect to <endpoint> (ConnectError: [Errno 111] Connection refused)"


def test_an_httpx_status_error_names_no_url():
    transport = httpx.MockTransport(lambda _request: httpx.Response(502, text="<html>x</html>"))
    with httpx.Client(transport=transport) as client:
        error = raised(
            httpx.HTTPStatusError,
            lambda: client.get("http://10.1.2.3:2633/RPC2").raise_for_status(),
        )
    shown = public_message(error)
    assert shown.startswith("HTTPStatusError: Server error '502 Bad Gateway' for url '<endpoint>'")
    assert_public(shown, "10.1.2.3", "2633", "http")


def test_a_requests_connection_error_names_no_address():
    requests = pytest.importorskip("requests")
    error = raised(requests.ConnectionError, lambda: requests.get(REFUSED, timeout=5))
    shown = public_message(error, endpoints=[REFUSED])
    assert "Connection refused" in shown
    assert_public(shown, "127.0.0.1")


def test_a_urllib3_error_names_no_address():
    urllib3 = pytest.importorskip("urllib3")
    pool = urllib3.PoolManager(retries=False)
    error = raised(
        urllib3.exceptions.NewConnectionError, lambda: pool.request("GET", REFUSED, timeout=5)
    )
    shown = public_message(error)
    assert "Failed to establish a new connection" in shown
    assert_public(shown, "127.0.0.1")


def test_xmlrpc_errors_name_no_endpoint():
    refused = raised(
        ConnectionRefusedError, lambda: xmlrpc.client.ServerProxy(REFUSED).one.vm.info(1)
    )
    assert public_message(refused) == "ConnectionRefusedError: [Errno 111] Connection refused"
    protocol = str(
        xmlrpc.client.ProtocolError("oned.example.test:2633/RPC2", 502, "Bad Gateway", {})
    )
    assert public_message(protocol) == "<ProtocolError for <endpoint>/RPC2: 502 Bad Gateway>"
    fault = str(xmlrpc.client.Fault(-32000, "[one.vm.allocate] User couldn't be authenticated"))
    assert public_message(fault) == fault  # nothing to hide: said as it was


def test_botocore_errors_name_no_endpoint():
    pytest.importorskip("botocore")
    from botocore.exceptions import ClientError, EndpointConnectionError

    unreachable = str(EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"))
    assert public_message(unreachable) == 'Could not connect to the endpoint URL: "<endpoint>"'
    answer = {"Error": {"Code": "InvalidSubnetID.NotFound", "Message": "no subnet-1"}}
    refused = str(ClientError(answer, "RunInstances"))
    assert public_message(refused) == refused


def test_the_region_endpoint_is_hidden_in_every_form():
    text = (
        "POST https://oned.example.test:2633/RPC2 failed; oned.example.test:2633 refused; "
        "resolving ONED.example.test. failed; https://oned.example.test/other too"
    )
    shown = public_message(text, endpoints=[ENDPOINT])
    assert "oned" not in shown.lower() and "2633" not in shown
    assert shown.startswith("POST <endpoint> failed; <endpoint> refused; resolving <endpoint>.")


def test_addresses_and_host_ports_are_hidden_times_and_versions_kept():
    text = (
        "dial tcp 10.0.0.5:2376: refused; [fe80::1%eth0]:2376 and [::1]; fe80::1, "
        "::ffff:10.9.8.7 and 192.168.1.1. docker-host:2376 down at 2024-05-01T12:30:45Z "
        "(12:30), version 1.2.3.4.5, arn:aws:iam::123456789012:role/x"
    )
    assert public_message(text) == (
        "dial tcp <endpoint>: refused; <endpoint> and <address>; <address>, "
        "<address> and <address>. <endpoint> down at 2024-05-01T12:30:45Z "
        "(12:30), version 1.2.3.4.5, arn:aws:iam::123456789012:role/x"
    )


def test_urls_of_every_scheme_go_punctuation_stays():
    text = "see (https://a.example/x?token=1), tcp://10.0.0.5:2376. and unix:///run/d.sock!"
    assert public_message(text) == "see (<endpoint>), <endpoint>. and <endpoint>!"


def test_a_body_is_summarised_control_characters_and_whitespace_collapsed():
    body = "<html>\n  <body>\x1b[31m" + "trace line\n" * 500 + "TAIL</body></html>"
    shown = public_message(f"502 Bad Gateway:\n{body}")
    assert shown.startswith("502 Bad Gateway: <html> <body> trace line trace line")
    assert shown.endswith("...") and len(shown) == MAX_PUBLIC
    assert "TAIL" not in shown and "\n" not in shown and "\x1b" not in shown


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 2**20,
        "[" * 2**19 + "]" * 2**19,
        "1:" * 2**19,
        "1." * 2**19,
        "a:1 " * 2**18,
        "http://" * 2**17,
        ("x" * 40 + "://h ") * 2**15,
        "\x1b[" + ";" * 2**20,
        "::" * 2**19,
    ],
)
def test_hostile_input_costs_bounded_work(hostile):
    # The text is cut before any pattern runs, and no pattern backtracks without bound:
    # each of these would take minutes if either were not so.
    shown = public_message(hostile, endpoints=[ENDPOINT, hostile])
    assert len(shown) <= MAX_PUBLIC


def test_a_cut_does_not_leave_a_piece_of_an_address():
    text = "x " * 2047 + "10.1.2.3:2633"  # the cut falls inside the address
    assert "10.1" not in public_message(text)


def test_a_public_error_keeps_its_class_reason_and_wait():
    error = Throttled(f"slow down, says {ENDPOINT}", reason="RequestLimitExceeded", retry_after=7)
    public = public_error(error, endpoints=[ENDPOINT])
    assert type(public) is Throttled and isinstance(public, TransientError)
    assert (public.reason, public.retry_after) == ("RequestLimitExceeded", 7)
    assert public.message == str(public) == "slow down, says <endpoint>"
    assert error.message == f"slow down, says {ENDPOINT}"  # the original is left as it was


def test_a_public_error_of_a_class_with_its_own_constructor():
    class Exhausted(QuotaExceeded):
        def __init__(self, *, cores: int) -> None:
            super().__init__(f"no {cores} cores at 10.1.2.3")
            self.cores = cores

    public = public_error(Exhausted(cores=4))
    assert isinstance(public, DriverError) and public.cores == 4
    assert (public.reason, public.message) == ("QuotaExceeded", "no 4 cores at <address>")


def test_loggable_keeps_everything_but_credentials_and_control_characters():
    text = "GET https://user:s3cret@oned.example.test:2633/RPC2 at 10.1.2.3\x1b[31m failed"
    assert loggable(text) == "GET https://oned.example.test:2633/RPC2 at 10.1.2.3 failed"


def test_image_references_and_colon_separated_names_are_kept():
    """A missing image is the user's own reference: redacting it hid the reason (found by
    the docker and azure error tests)."""
    for text in (
        "docker: create asm-1: No such image: localhost/not-here:1",
        "404 PlatformImageNotFound: The platform image 'Canonical:NoSuchOffer:1:latest' "
        "is not available",
    ):
        assert public_message(text) == text
