"""Error translation as a table: every oned error code, HTTP status and network failure.

Each failure is produced by the peer on the wire (`[false, message, code, id]`
with Request.cc's message formats from `vm_state_codes.json`, an HTTP status,
a fault, a held-back reply, a closed port) and goes through pyone and the
driver as in production; the driver must raise the right vertice error,
carrying oned's code and message, and nothing of pyone, requests or xmlrpc.
"""

from __future__ import annotations

import socket
import threading

import pytest

from vertice_core.errors import (
    AuthFailed,
    DriverError,
    QuotaExceeded,
    TerminalError,
    TransientError,
    UnavailableError,
)
from vertice_driver_opennebula.client import NoSuchObject, SearchUnsupported, call

# (oned's code, its message, vertice error class, reason)
TABLE = [
    (0x100, "[one.vm.action] User couldn't be authenticated, aborting call.", AuthFailed,
     "AuthFailed"),
    (0x200, "[one.vm.action] User [3] not authorized to perform action on virtual machine.",
     AuthFailed, "NotAuthorized"),
    (0x400, "[one.vm.action] Error getting virtual machine [0].", NoSuchObject, "NotFound"),
    (0x800, '[one.vm.action] Error performing action "reboot": This action is not available '
     "for state PENDING", TransientError, "IncorrectInstanceState"),
    (0x1000, "[one.vm.action] Wrong action: reboot-softly.", TerminalError, "InvalidRequest"),
    (0x2000, "[one.vm.action] Internal error", TransientError, "CloudUnavailable"),
    (0x2000, "[one.vmpool.infoextended] JSON query search is not supported by the SQL backend",
     SearchUnsupported, "CloudUnavailable"),
    (0x2000, "[one.vmpool.infoextended] Full text search is not supported by the SQL backend",
     SearchUnsupported, "CloudUnavailable"),
    (0x4000, "[one.vm.action] Error allocating a new virtual machine. User [0] : user [0] "
     "limit of 1 reached for VMS quota in VM.", QuotaExceeded, "QuotaExceeded"),
    # oned's quota authorization answers AUTHORIZATION with the bare quota message.
    (0x200, "[one.template.instantiate] User [0] : user [0] limit of 48 reached for VMS quota "
     "in VM.", QuotaExceeded, "QuotaExceeded"),
    (0x200, "[one.vm.action] User [2] : group [1] limit of 4096 reached for MEMORY quota in VM.",
     QuotaExceeded, "QuotaExceeded"),
    (0x8000, "[one.vm.action] The resource virtual machine is locked. [0].", TransientError,
     "Locked"),
    (0x10000, "[one.vm.action] Cannot replicate log record on followers", TransientError,
     "OpenNebulaError"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "message", "cls", "reason"), TABLE)
def test_oned_error_codes_become_vertice_errors(make_driver, peer, code, message, cls, reason):
    peer.fail("one.vm.action", code=code, message=message)
    with pytest.raises(DriverError) as caught:
        make_driver().reboot("0")
    error = caught.value
    assert type(error) is cls
    assert error.reason == reason
    assert message in error.message and f"{code:#x}" in error.message
    assert error.__cause__ is None and error.__context__ is None  # nothing of pyone inside


def test_the_classes_mean_what_the_reconciler_expects():
    assert issubclass(QuotaExceeded, TerminalError)
    assert issubclass(NoSuchObject, TransientError)
    assert issubclass(AuthFailed, UnavailableError)


@pytest.mark.parametrize(
    ("status", "cls", "reason"),
    [
        (401, AuthFailed, "AuthFailed"),
        (404, UnavailableError, "RegionMisconfigured"),
        (502, TransientError, "CloudUnavailable"),
        (503, TransientError, "CloudUnavailable"),
    ],
)
def test_http_statuses(make_driver, peer, status, cls, reason):
    peer.fail("*", http_status=status)
    with pytest.raises(DriverError) as caught:
        make_driver().observe()
    assert type(caught.value) is cls and caught.value.reason == reason
    assert f"HTTP {status}" in caught.value.message


def test_a_wrong_path_is_a_misconfigured_region(make_driver, peer):
    with pytest.raises(UnavailableError) as caught:
        make_driver(endpoint=peer.url.replace("/RPC2", "/xmlrpc")).observe()
    assert caught.value.reason == "RegionMisconfigured"


def test_an_xml_rpc_fault_is_an_invalid_request(make_driver):
    driver = make_driver()
    with pytest.raises(TerminalError) as caught:
        call("one.system.nothing", driver.server.system.nothing)
    assert caught.value.reason == "InvalidRequest" and "not defined" in caught.value.message


def test_unreachable_and_slow_endpoints_are_transient(make_driver, peer, closed_port):
    with pytest.raises(TransientError, match="cannot be reached"):
        make_driver(endpoint=f"http://127.0.0.1:{closed_port}/RPC2").observe()
    peer.fail("one.vmpool.infoextended", delay=5.0)
    with pytest.raises(TransientError, match="did not answer in time"):
        make_driver(read_timeout=0.3).observe()


def test_the_timeout_is_the_drivers_own_not_the_processs(make_driver, peer):
    # pyone.OneServer(timeout=...) would call socket.setdefaulttimeout() for every socket of
    # the reconciler; the driver's timeouts stay on its own HTTP session.
    assert socket.getdefaulttimeout() is None
    fast, patient = make_driver(read_timeout=0.3), make_driver(read_timeout=5.0)
    assert socket.getdefaulttimeout() is None
    peer.fail("one.vmpool.infoextended", delay=1.0)
    outcomes: dict[str, object] = {}

    def observe(name, driver):
        try:
            outcomes[name] = len(driver.observe())
        except TransientError as exc:
            outcomes[name] = exc.reason

    pairs = (("fast", fast), ("patient", patient))
    threads = [threading.Thread(target=observe, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == {"fast": "CloudUnavailable", "patient": 0}


def test_a_region_without_an_http_endpoint_cannot_start(make_driver):
    with pytest.raises(UnavailableError, match="not oned's XML-RPC URL"):
        make_driver(endpoint="one.example:2633")
