"""httpx's default TLS context, built on a thread of its own while a command
goes on loading.

Building the context reads a certificate bundle: certifi's, or the one
``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` names, as httpx reads them. That takes
about a tenth of a one-request command's time. OpenSSL parses the bundle with
the GIL released, so the command's imports run meanwhile.

The thread imports nothing: whatever it would import is imported first, on
the caller's thread. An import lock held by a thread that Ctrl-C interrupted
would otherwise stop it, and the command with it. And it is not a daemon:
the interpreter waits for it before it exits, since OpenSSL's clean-up at
exit must not run while the thread is still inside OpenSSL (an early usage
error or Ctrl-C ends a command before it asks for the context).

The context is httpx's own (``httpx.create_ssl_context()``). It is handed to
the client as ``verify=``, so the client trusts the same certificates, with
the same settings, as one built without it. It is also one context for every
transport the client mounts (a proxy from the environment adds one), where
httpx would build one each.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import threading

import httpx

__all__ = ["TlsContextAhead"]


class TlsContextAhead:
    """Starts building the context as it is created; ``get()`` waits for it."""

    def __init__(self) -> None:
        self._context: ssl.SSLContext | None = None
        self._error: Exception | None = None
        _import_what_building_imports()
        self._thread = threading.Thread(target=self._build, name="greenstatus-tls")
        self._thread.start()

    def _build(self) -> None:
        try:
            self._context = httpx.create_ssl_context()
        except Exception as error:  # raised again by get(), in the caller's thread
            self._error = error

    def get(self) -> ssl.SSLContext:
        """The context. Settings that cannot be used (a bundle that cannot be
        read, an ``SSLKEYLOGFILE`` that cannot be written) are an ``OSError``
        saying which."""
        self._thread.join()
        if self._error is not None:
            raise _unreadable(self._error) from None
        assert self._context is not None
        return self._context


def _import_what_building_imports() -> None:
    """certifi, and what ``certifi.where()`` imports the first time it is called
    (importlib.resources' parts): ``httpx.create_ssl_context()`` uses both."""
    with contextlib.suppress(Exception):  # create_ssl_context() meets it again, and says so
        import certifi

        certifi.where()


def _unreadable(error: Exception) -> OSError:
    """What went wrong, and where: the file the error names (``SSLKEYLOGFILE``'s,
    say), else the settings the certificates were read from."""
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    filename = getattr(error, "filename", None)
    if filename is not None:
        return OSError(f"cannot set up TLS: {reason}: {filename}")
    named = [name for name in ("SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(name)]
    where = f"{named[0]}={os.environ[named[0]]}" if named else "certifi's bundle"
    return OSError(f"cannot load the TLS certificates ({where}): {reason}")
