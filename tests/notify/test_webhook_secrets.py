"""A webhook URL may carry a secret: a failed delivery's message names its scheme and host only."""

from __future__ import annotations

import pytest

from vertice_drivers.ports import free_port
from vertice_notify.filters import EventFilter
from vertice_notify.webhook import DeliveryFailed, WebhookNotifier, origin


def test_a_failed_delivery_names_only_the_urls_scheme_and_host():
    url = f"http://user:pa55@127.0.0.1:{free_port()}/hooks/T0KEN?key=s3cret"
    notifier = WebhookNotifier(url, "", EventFilter(), timeout=2)
    with pytest.raises(DeliveryFailed) as raised:
        notifier._post(b"{}")
    message = str(raised.value)
    assert message.startswith(f"POST to {origin(url)}: ")
    for secret in ("pa55", "T0KEN", "s3cret", "user"):
        assert secret not in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@hooks.example.com/services/T/B/X", "https://hooks.example.com"),
        ("http://[::1]:8080/x?token=y", "http://[::1]:8080"),
    ],
)
def test_origin_is_scheme_and_host(url, shown):
    assert origin(url) == shown
