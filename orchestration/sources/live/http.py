"""One way to GET a public endpoint (Wikipedia, iShares, FRED, the SEC): a User-Agent, a
timeout, retries with backoff, and a clear error when the answer is not what was asked.

An endpoint that is down or throttling (a refused connection, a timeout, HTTP 429 or 5xx)
is asked again after 2 s, 4 s, 8 s...; a 4xx other than 429 is not (asking again would get
the same answer). A body that is empty, or an HTML page where CSV or JSON was asked for (an
error page, a consent wall, a retired endpoint's product page), is an error naming the
endpoint and quoting the start of what came.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

USER_AGENT = "capgap/0.1 (open-source market-data warehouse; https://github.com/capgap)"
KINDS = ("csv", "json", "html")
RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0


class FetchError(OSError):
    """An endpoint that did not answer with what was asked; the message says which and why."""


@dataclass(frozen=True)
class Http:
    """GETs with retries: `attempts` in all, waiting `base_delay` seconds, then twice that,
    and so on (or what a 429's Retry-After asks, up to two minutes), by `sleep`."""

    user_agent: str = USER_AGENT
    timeout: float = 30.0
    attempts: int = 4
    base_delay: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("capgap.sources"))

    def get(self, url: str, what: str, kind: str) -> bytes:
        """The body of `url`, checked to look like `kind` (csv, json or html).

        `what` names the endpoint in messages ("the IWM holdings of 2024-06-28"). Raises
        `FetchError` when every attempt failed or the answer is not `kind`.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        attempts, attempt = max(self.attempts, 1), 0
        while True:
            attempt += 1
            try:
                body = self._once(url)
            except urllib.error.HTTPError as error:
                retry = error.code in RETRIED_STATUSES
                problem, wait = f"HTTP {error.code} {error.reason}", _retry_after(error)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                retry, problem, wait = True, _reason(error), None
            else:
                return _checked(body, url, what, kind)
            if not retry or attempt >= attempts:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise FetchError(f"{what}: {url} answered {problem}{tries}")
            delay = wait if wait is not None else self.base_delay * 2 ** (attempt - 1)
            self.log.warning(
                f"{what}: {problem}; asking again in {delay:g} s (attempt {attempt + 1}/{attempts})"
            )
            self.sleep(delay)

    def _once(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return response.read()


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return f"nothing ({reason})"


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    """The seconds a 429 or 503 asks to wait, if it says so in seconds."""
    text = (error.headers or {}).get("Retry-After", "")
    try:
        return min(max(float(text), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


def _checked(body: bytes, url: str, what: str, kind: str) -> bytes:
    """`body`, unless it is empty or an HTML page where CSV or JSON was asked for."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise FetchError(f"{what}: {url} answered with an empty body")
    looks_html = start[:15].lower().startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
    if kind != "html" and looks_html:
        shown = start[:80].decode("utf-8", "replace")
        raise FetchError(
            f"{what}: {url} answered with an HTML page, not {kind.upper()} (starting {shown!r});"
            " the endpoint may have moved: set its URL to a mirror"
        )
    if kind == "json" and start[:1] not in (b"{", b"["):
        shown = start[:80].decode("utf-8", "replace")
        raise FetchError(f"{what}: {url} answered with something that is not JSON: {shown!r}")
    return body
