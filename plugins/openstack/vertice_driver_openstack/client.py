"""The openstacksdk connection of a region, and the one place OpenStack's errors become vertice's.

The connection is built from the region alone (never `clouds.yaml` nor `OS_*`
variables): a keystoneauth1 session over a requests session of our own (a
blocking pool of `max_connections`, no retries: vertice's backoff does the
retrying), authenticated by `KeystoneV3` (Keystone's version discovery at the
`auth_url`, then v3 password or application-credential authentication), and
the compute and image endpoints found in the token's catalog for the
configured region and interface.

Every call the driver makes runs through `call(action, fn)`:

| OpenStack says (or fails)                            | vertice error                      |
|------------------------------------------------------|------------------------------------|
| Keystone's 401 to the token request                  | AuthFailed (unavailable)           |
| Nova's or Glance's 401 (after keystoneauth re-auth)  | TransientError, TokenRejected      |
| 403 "Quota exceeded for instances..." (any quota)    | QuotaExceeded (terminal)           |
| 403 otherwise ("Policy doesn't allow ...")           | AuthFailed, NotAuthorized          |
| 413/429: a quota; otherwise                          | QuotaExceeded; Throttled (its      |
|                                                      | Retry-After)                       |
| 400: an image, flavor, key pair, network... refused  | TerminalError, ImageNotFound...    |
| 404 / 409                                            | NotFound / Conflict (transient;    |
|                                                      | the driver decides per verb)       |
| 5xx, connection refused or dropped, timeouts         | TransientError, CloudUnavailable   |
| no endpoint for the region and interface in the      | UnavailableError,                  |
| catalog; no Keystone v3 at the `auth_url`            | RegionMisconfigured                |

A server Nova put in ERROR carries a `fault` (`code`, `message`): `fault_error`
classifies it with the same message rules (a quota: QuotaExceeded; an image or
flavor that cannot work: terminal; no valid host, a failed network allocation,
any 5xx: transient).

No SDK object leaves this module: a translated error carries OpenStack's status
and message as text, is raised outside the handler (no `__context__`), and never
holds a credential (Keystone's replies hold none; the request is never quoted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import keystoneauth1.exceptions as ks_exceptions
import openstack.connection
import openstack.exceptions
import requests
import requests.adapters
from keystoneauth1 import discover
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneauth1.identity.generic import base as generic_base

from vertice_core.driver import RegionConfig
from vertice_core.errors import (
    AuthFailed,
    DriverError,
    QuotaExceeded,
    TerminalError,
    Throttled,
    TransientError,
    UnavailableError,
)
from vertice_driver_openstack import OpenStackCredentials, OpenStackSettings

T = TypeVar("T")

#: A quota refusal, in Nova's words ("Quota exceeded for instances: Requested 1, but
#: already used 10 of 10 instances", "Maximum number of ... reached", "exceeds quota").
QUOTA = re.compile(r"quota|maximum number of [\w ]{1,40}?(is )?(reached|exceed)", re.I)
#: What Nova's messages say, and what vertice makes of each, first match wins: for a 400
#: and for a server's `fault` alike. Transient rules only count for faults (a 400 is the
#: request's fault, whatever it says).
MESSAGE_RULES: tuple[tuple[re.Pattern[str], type[DriverError], str], ...] = tuple(
    (re.compile(pattern, re.I), cls, reason)
    for pattern, cls, reason in (
        (r"no valid host", TransientError, "NoValidHost"),
        (r"can ?not find requested image|image \S+ could not be found|image not found",
         TerminalError, "ImageNotFound"),
        (r"image \S+ is (unacceptable|not active)|image .*unacceptable", TerminalError,
         "ImageUnacceptable"),
        (r"flavor's (disk|memory) is too small", TerminalError, "FlavorTooSmall"),
        (r"flavor \S+ could not be found|invalid flavorref", TerminalError, "FlavorNotFound"),
        (r"invalid key_?name|key ?pair \S+ not found", TerminalError, "KeyPairNotFound"),
        (r"multiple possible networks found", TerminalError, "NetworkAmbiguous"),
        (r"network \S+ could not be found|network .*not found", TerminalError,
         "NetworkNotFound"),
        (r"security group \S+ not found|unable to find security_group", TerminalError,
         "SecurityGroupNotFound"),
        (r"availability zone .*(not available|invalid)|invalid availability zone",
         TerminalError, "AvailabilityZoneNotFound"),
        (r"user data|user_data", TerminalError, "UserDataInvalid"),
        (r"block device mapping is invalid", TerminalError, "InvalidBlockDeviceMapping"),
        (r"failed to allocate the network", TransientError, "NetworkAllocationFailed"),
        (r"exceeded maximum number of retries", TransientError, "RescheduleFailed"),
    )
)  # fmt: skip
#: Errors of the connection itself: the endpoint is down, or did not answer in time.
CONNECTION_ERRORS = (ks_exceptions.ConnectionError, requests.ConnectionError, requests.Timeout)


class KeystoneV3(generic_base.BaseGenericPlugin):
    """Keystone v3 authentication after version discovery at the `auth_url`.

    keystoneauth1's generic plugins discover the identity versions Keystone offers
    (`auth_url` may be its root or `/v3`) and build the plugin of a version; this one
    builds v3 only, for a password (user and project scope) or an application
    credential (which carries its own scope).
    """

    def __init__(self, settings: OpenStackSettings, credentials: OpenStackCredentials) -> None:
        application = credentials.is_application_credential
        super().__init__(
            auth_url=settings.auth_url,
            project_id=None if application else settings.project_id or None,
            project_name=None if application else settings.project_name or None,
            project_domain_id=None if application else _project_domain(settings)[0],
            project_domain_name=None if application else _project_domain(settings)[1],
        )
        self._settings = settings
        self._credentials = credentials

    def create_plugin(
        self,
        session: ks_session.Session,
        version: Any,
        url: str,
        raw_status: str | None = None,
    ) -> v3.Auth | None:
        if not discover.version_match((3,), version):
            return None  # Keystone v2 is not spoken
        credentials = self._credentials
        if credentials.is_application_credential:
            return v3.ApplicationCredential(
                auth_url=url,
                application_credential_id=credentials.application_credential_id,
                application_credential_secret=credentials.application_credential_secret,
            )
        user_domain_id, user_domain_name = _user_domain(self._settings)
        project_domain_id, project_domain_name = _project_domain(self._settings)
        return v3.Password(
            auth_url=url,
            username=credentials.username,
            password=credentials.password,
            user_domain_id=user_domain_id,
            user_domain_name=user_domain_name,
            project_id=self._settings.project_id or None,
            project_name=self._settings.project_name or None,
            project_domain_id=project_domain_id,
            project_domain_name=project_domain_name,
        )

    def get_cache_id_elements(self) -> dict[str, str | None]:
        """What identifies this authentication (no secret): keystoneauth caches by it."""
        return {
            "auth_url": self._settings.auth_url,
            "project": self._settings.project_id or self._settings.project_name,
            "user": self._credentials.username or self._credentials.application_credential_id,
        }


def _user_domain(settings: OpenStackSettings) -> tuple[str | None, str | None]:
    """The user's domain (id, name); neither given: Keystone's `default` domain."""
    if settings.user_domain_id or settings.user_domain_name:
        return settings.user_domain_id or None, settings.user_domain_name or None
    return "default", None


def _project_domain(settings: OpenStackSettings) -> tuple[str | None, str | None]:
    """The project's domain (id, name); neither given: the user's (by a name project)."""
    if settings.project_domain_id or settings.project_domain_name:
        return settings.project_domain_id or None, settings.project_domain_name or None
    if settings.project_id:
        return None, None  # a project id needs no domain
    return _user_domain(settings)


def region_name_of(region: RegionConfig) -> str:
    """The OpenStack region of the catalog: the settings', else the vertice region's."""
    settings: OpenStackSettings = region.settings
    return settings.region_name or region.provider_region


def make_connection(region: RegionConfig) -> openstack.connection.Connection:
    """The openstacksdk connection of the region: its Keystone, project, region, interface.

    Nothing of the host's environment reaches it but requests' proxy settings: no
    `clouds.yaml`, no `OS_*` variables.
    """
    settings: OpenStackSettings = region.settings
    credentials: OpenStackCredentials = region.credentials
    if not credentials.is_application_credential and not (
        settings.project_id or settings.project_name
    ):
        raise UnavailableError(
            f"region {region.name!r} names no project: set settings.project_name (or "
            "project_id), or use an application credential",
            reason="RegionMisconfigured",
        )
    http = requests.Session()
    # Calls run in the reconciler's thread pool: never more calls in flight than pooled
    # connections (beyond them a call waits for one; docs/writing-a-driver.md), and no
    # retries of its own: vertice's backoff does the retrying.
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4, pool_maxsize=settings.max_connections, pool_block=True, max_retries=0
    )
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    session = ks_session.Session(
        auth=KeystoneV3(settings, credentials),
        session=http,
        verify=settings.ca_bundle or True,
        timeout=settings.timeout,
        app_name="vertice",
        connect_retries=0,
    )
    return openstack.connection.Connection(
        session=session,
        region_name=region_name_of(region) or None,
        interface=settings.interface,
        connect_retries=0,
        status_code_retries=0,
        image_status_code_retries=0,
        compute_api_version="2",
        image_api_version="2",
    )


# -- errors --


def classify(
    status: int, message: str, text: str, *, retry_after: float | None = None
) -> DriverError:
    """The vertice error for an HTTP `status` OpenStack answered with `message` (shown as
    `text`)."""
    quota = bool(QUOTA.search(message))

    def limited() -> DriverError:
        return QuotaExceeded(text) if quota else Throttled(text, retry_after=retry_after)

    by_status: dict[int, Callable[[], DriverError]] = {
        # A service refused the token (expired, revoked, or invalidated by another call's
        # 401 meanwhile): keystoneauth makes a new one on the next call. Credentials are
        # refused by Keystone alone (`_keystone_error`).
        401: lambda: TransientError(f"{text} (the token was refused)", reason="TokenRejected"),
        403: lambda: QuotaExceeded(text) if quota else AuthFailed(text, reason="NotAuthorized"),
        404: lambda: TransientError(text, reason="NotFound"),
        409: lambda: TransientError(text, reason="Conflict"),
        413: limited,
        429: limited,
    }
    if status in by_status:
        return by_status[status]()
    if status >= 500:
        return TransientError(text)
    if quota:
        return QuotaExceeded(text)
    for pattern, cls, reason in MESSAGE_RULES:
        if pattern.search(message) and issubclass(cls, TerminalError):
            return cls(text, reason=reason)
    return TerminalError(text, reason="InvalidRequest")


def fault_error(fault: Mapping[str, Any] | None, server_id: str) -> DriverError:
    """The vertice error of a server Nova put in ERROR, from its `fault` (code, message)."""
    fault = fault or {}
    message = " ".join(str(fault.get("message") or "no fault given").split())
    try:
        code = int(fault.get("code") or 500)
    except (TypeError, ValueError):
        code = 500
    text = f"openstack: server {server_id} is in ERROR: {message} (fault {code})"
    if QUOTA.search(message):
        return QuotaExceeded(text)
    for pattern, cls, reason in MESSAGE_RULES:
        if pattern.search(message):
            return cls(text, reason=reason)
    if 400 <= code < 500:
        return TerminalError(text, reason="BuildRefused")
    return TransientError(text, reason="BuildFailed")


def _retry_after(response: Any) -> float | None:
    value = None if response is None else response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def translate(exc: BaseException, action: str) -> DriverError:
    """The vertice error for an exception raised while `action` talked to OpenStack."""
    for kinds, make in _TRANSLATIONS:
        if isinstance(exc, kinds):
            return make(exc, action)
    return TransientError(f"openstack: {action} failed: {type(exc).__name__}: {exc}")


def _service_error(exc: Any, action: str) -> DriverError:
    """Nova's or Glance's error answer (openstacksdk's `HttpException`)."""
    status = int(exc.status_code or 0)
    detail = " ".join(str(exc.details or "").split())[:500] or f"HTTP {status}"
    text = f"openstack: {action}: HTTP {status}: {detail}"
    return classify(status, detail, text, retry_after=_retry_after(exc.response))


def _no_endpoint(exc: BaseException, action: str) -> DriverError:
    return UnavailableError(
        f"openstack: {action}: the token's catalog has no endpoint for this service in "
        f"the region and interface configured ({type(exc).__name__}: {exc})",
        reason="RegionMisconfigured",
    )


def _discovery_failure(exc: BaseException, action: str) -> DriverError:
    """Keystone's versions could not be read at the `auth_url`: why decides."""
    cause = exc.__context__
    if isinstance(cause, CONNECTION_ERRORS):
        return _connection_error(cause, action)
    if isinstance(cause, ks_exceptions.HttpError) and int(cause.http_status or 0) >= 500:
        return _keystone_error(cause, action)
    return UnavailableError(
        f"openstack: {action}: no Keystone v3 found at the auth_url ({exc})",
        reason="RegionMisconfigured",
    )


def _refused(exc: BaseException, action: str) -> DriverError:
    return AuthFailed(f"openstack: {action}: Keystone refused to authenticate ({exc})")


def _unreadable(exc: BaseException, action: str) -> DriverError:
    return TransientError(f"openstack: {action}: unreadable reply ({type(exc).__name__})")


def _keystone_error(exc: ks_exceptions.HttpError, action: str) -> DriverError:
    status = int(exc.http_status or 0)
    detail = " ".join(str(exc.message or "").split())[:300]
    text = f"openstack: {action}: Keystone answered HTTP {status}: {detail}"
    if status == 401:
        return AuthFailed(f"{text} (the credentials were refused)")
    return classify(status, detail, text, retry_after=_retry_after(exc.response))


def _connection_error(exc: BaseException, action: str) -> DriverError:
    if isinstance(exc, ks_exceptions.ConnectTimeout | requests.Timeout):
        return TransientError(f"openstack: {action}: OpenStack did not answer in time")
    return TransientError(
        f"openstack: {action}: the endpoint cannot be reached ({type(exc).__name__})"
    )


#: How each kind of exception becomes vertice's, the first that matches.
_TRANSLATIONS: tuple[tuple[Any, Callable[[Any, str], DriverError]], ...] = (
    (openstack.exceptions.HttpException, _service_error),
    (ks_exceptions.HttpError, _keystone_error),
    (CONNECTION_ERRORS, _connection_error),
    ((ks_exceptions.EndpointNotFound, openstack.exceptions.ServiceDisabledException),
     _no_endpoint),
    (ks_exceptions.DiscoveryFailure, _discovery_failure),
    ((ks_exceptions.AuthorizationFailure, ks_exceptions.MissingAuthMethods), _refused),
    (requests.JSONDecodeError, _unreadable),
)  # fmt: skip

#: Everything a call through the SDK may raise besides programming errors.
SDK_ERRORS: tuple[type[BaseException], ...] = (
    openstack.exceptions.SDKException,
    ks_exceptions.ClientException,
    requests.RequestException,
)


def call(action: str, fn: Callable[[], T]) -> T:
    """Run `fn` (OpenStack calls named `action`), raising vertice errors instead of the SDK's."""
    try:
        return fn()
    except SDK_ERRORS as exc:
        error = translate(exc, action)
    raise error


def is_not_found(error: DriverError) -> bool:
    """Whether a translated error says the object does not exist."""
    return error.reason in ("NotFound", "InstanceNotFound")
