"""The request loop under `GomobileClient`: pacing, in-flight limit, retries, error mapping.

- explicit timeouts (`timeout` bounds each attempt from first byte sent to body read);
- `User-Agent: gomoq/<version>`; the key in `X-API-Key` (default) or `Authorization: Bearer`;
- pacing at `rate_limit` requests/s that adapts to `X-RateLimit-*` (see `pacing`);
- at most `max_in_flight` requests at once, so concurrent callers reach the rate limit even
  when each request takes 300 ms (16 in flight cover 10 req/s up to 1.6 s of latency);
- retries per `retry` (idempotent requests only, plus POSTs the server certainly refused);
- every failure raised as a `gomoq.api.errors.ApiError`; no httpx exception leaves this package.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
import orjson

from gomoq import __version__
from gomoq.api import retry as retry_policy
from gomoq.api import testing
from gomoq.api.errors import ApiError, MalformedResponse, TransportError, from_response
from gomoq.api.pacing import Pacer
from gomoq.secrets import RedactingFilter, register_secret

log = logging.getLogger("gomoq.api")
log.addFilter(RedactingFilter())  # defence in depth: no record of ours may carry the key

USER_AGENT = f"gomoq/{__version__}"
DEFAULT_MAX_IN_FLIGHT = 16


def _describe_connect_error(exc: BaseException) -> str:
    # httpx says only "All connection attempts failed"; the OSError underneath says why.
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        cause = cause.__cause__ or cause.__context__
        seen += 1
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "the host name does not resolve"
    if "ssl" in text or "certificate" in text:
        return "the TLS handshake failed (certificate or protocol)"
    if isinstance(exc, httpx.ConnectTimeout):
        return "the connection timed out"
    reason = str(exc).strip() or type(exc).__name__
    return reason.rstrip(".")


class _AttemptFailed(Exception):
    """Internal: an attempt got no response; `sent` says whether the server may have acted."""

    def __init__(self, message: str, *, sent: bool, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.sent = sent
        self.retryable = retryable


class HttpSession:
    """One paced, retried `httpx.AsyncClient` for one base URL and key (see the module doc)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        auth_scheme: str = "x-api-key",
        rate_limit: float = 10.0,
        timeout: float = 30.0,
        max_retries: int = 6,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        retry_after_cap: float = retry_policy.RETRY_AFTER_CAP,
        backoff_base: float = retry_policy.BASE_DELAY,
        backoff_cap: float = retry_policy.MAX_DELAY,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if auth_scheme not in ("x-api-key", "bearer"):
            raise ValueError(f"unknown auth_scheme {auth_scheme!r}")
        register_secret(api_key)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_after_cap = retry_after_cap
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._pacer = Pacer(rate_limit, max_pause=retry_after_cap)
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self.stats = {"requests": 0, "retries": 0, "rate_limited": 0}
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if auth_scheme == "bearer":
            headers["Authorization"] = f"Bearer {api_key}"
        else:
            headers["X-API-Key"] = api_key
        transport = transport or testing.current_transport()
        try:
            self._http = httpx.AsyncClient(
                base_url=self.base_url + "/",
                headers=headers,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                follow_redirects=False,
                transport=transport,
                limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=16),
            )
        except (httpx.InvalidURL, ValueError) as exc:
            raise ApiError(f"The base URL {self.base_url!r} is not a valid URL ({exc}).") from None

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def pacer(self) -> Pacer:
        """The rate limiter (for progress displays and tests)."""
        return self._pacer

    # -- the request loop ----------------------------------------------------------------------

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        drop_auth: bool,
        timeout: float,
    ) -> httpx.Response:
        content = orjson.dumps(json_body) if json_body is not None else None
        try:
            request = self._http.build_request(
                method,
                url,
                params=params,
                content=content,
                headers={"Content-Type": "application/json"} if content is not None else None,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise _AttemptFailed(
                f"Cannot build {method} {url} for {self.base_url}: {exc}.",
                sent=False,
                retryable=False,
            ) from exc
        if drop_auth:  # a download URL on another origin must never see the key
            request.headers.pop("X-API-Key", None)
            request.headers.pop("Authorization", None)
        try:
            async with asyncio.timeout(timeout):
                return await self._http.send(request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _AttemptFailed(
                f"Cannot reach {self.base_url}: {_describe_connect_error(exc)}.", sent=False
            ) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise _AttemptFailed(
                f"{method} {urlsplit(str(request.url)).path} to {self.base_url} got no answer "
                f"within {timeout:g} s.",
                sent=True,
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _AttemptFailed(
                f"The connection to {self.base_url} was dropped during {method} "
                f"{urlsplit(str(request.url)).path}.",
                sent=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise _AttemptFailed(
                f"{method} to {self.base_url} failed: {type(exc).__name__}: "
                f"{str(exc).rstrip('.')}.",
                sent=False,
                retryable=False,
            ) from exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an in-process app that raised: the same as a dropped socket
            raise _AttemptFailed(
                f"The connection to {self.base_url} was dropped during {method} "
                f"{urlsplit(str(request.url)).path} ({type(exc).__name__}).",
                sent=True,
            ) from exc

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        text: bool = False,
        absolute_url: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send with pacing and retries; return decoded JSON (or text); raise `ApiError`."""
        url = absolute_url or path.lstrip("/")
        drop_auth = absolute_url is not None and not self._same_origin(absolute_url)
        where = f"{method} {path}"
        idempotent = retry_policy.is_idempotent(method)
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        attempt = 0
        while True:
            delay: float | None = None
            async with self._in_flight:
                await self._pacer.acquire()
                started = time.monotonic()
                self.stats["requests"] += 1
                try:
                    response = await self._send_once(
                        method, url, params, json_body, drop_auth, timeout or self.timeout
                    )
                except _AttemptFailed as failure:
                    can_retry = failure.retryable and (idempotent or not failure.sent)
                    if can_retry and attempt < self.max_retries:
                        delay = self._backoff(attempt, None)
                        log.info("%s Retry %d in %.2f s.", failure.message, attempt + 1, delay)
                    else:
                        raise self._transport_error(failure, where, idempotent) from None
                else:
                    elapsed = (time.monotonic() - started) * 1000
                    log.debug("%s -> %d in %.0f ms", where, response.status_code, elapsed)
                    retry_after = self._pacer.observe(response.status_code, response.headers)
                    if response.status_code < 300:
                        return self._decode(response, where, text)
                    if response.status_code == 429:
                        self.stats["rate_limited"] += 1
                    error = self._error(response, where, retry_after, idempotent)
                    retryable = retry_policy.should_retry_status(method, response.status_code)
                    too_long = retry_after is not None and retry_after > self.retry_after_cap
                    if retryable and attempt < self.max_retries and not too_long:
                        delay = self._backoff(attempt, retry_after)
                        log.info("%s Retry %d in %.2f s.", error.message, attempt + 1, delay)
                    else:
                        raise error
            attempt += 1
            self.stats["retries"] += 1
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return retry_policy.backoff_delay(
            attempt,
            retry_after,
            base=self.backoff_base,
            cap=self.backoff_cap,
            retry_after_cap=self.retry_after_cap,
        )

    def _same_origin(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.base_url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    def _transport_error(
        self, failure: _AttemptFailed, where: str, idempotent: bool
    ) -> TransportError:
        unknown = failure.sent and not idempotent
        message = failure.message
        if unknown:
            message += (
                " The request may or may not have been carried out: read the state back "
                "before doing it again."
            )
        method, _, path = where.partition(" ")
        return TransportError(message, path=path, method=method, outcome_unknown=unknown)

    def _error(
        self, response: httpx.Response, where: str, retry_after: float | None, idempotent: bool
    ) -> ApiError:
        method, _, path = where.partition(" ")
        try:
            body: Any = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("location", "elsewhere")
            return ApiError(
                f"{self.base_url} answered {where} with a redirect ({status}) to {target}: "
                "check the profile's base URL.",
                status=status,
                path=path,
                method=method,
            )
        return from_response(
            status,
            body,
            method=method,
            path=path,
            base_url=self.base_url,
            retry_after=retry_after,
            outcome_unknown=status >= 500 and not idempotent,
        )

    def _decode(self, response: httpx.Response, where: str, text: bool) -> Any:
        if text:
            try:
                return response.content.decode(response.encoding or "utf-8")
            except (UnicodeDecodeError, LookupError):
                raise MalformedResponse(
                    f"The answer to {where} from {self.base_url} is not readable text."
                ) from None
        if not response.content.strip():
            return {}
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            snippet = response.content[:60].decode("utf-8", "replace")
            raise MalformedResponse(
                f"The answer to {where} from {self.base_url} is not JSON "
                f"(it starts with {snippet!r})."
            ) from None
