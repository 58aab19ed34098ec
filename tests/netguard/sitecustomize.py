"""Networking switched off for a Python process and its Python children (tests only).

A process started with ``PYTHONPATH=tests/netguard`` and ``GAN_COURSE_NETGUARD_LOG=<file>``
imports this module at start-up (Python imports ``sitecustomize`` automatically).  From
then on every attempt to resolve a host name or to connect a socket to anything but this
machine (loopback addresses, Unix sockets) fails with ``OSError`` and is appended to the
log file, whatever library made it (urllib, requests, Sphinx's intersphinx, torchvision's
downloads...).  Each guarded process also writes an ``active`` line, so a test can tell
a build that made no request from a build the guard never saw.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import traceback

LOG = os.environ.get("GAN_COURSE_NETGUARD_LOG")
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _write(line: str) -> None:
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(line.replace("\n", " | ") + "\n")


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host in LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _blocked(what: str) -> OSError:
    where = "".join(traceback.format_stack(limit=8)[:-2])
    _write(f"blocked pid={os.getpid()} {what} from {where}")
    return OSError(errno.ENETUNREACH, f"network disabled by the course's tests: {what}")


if LOG:
    _write(f"active pid={os.getpid()}")
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _blocked(f"connect to {address!r}")

    def connect(self, address):
        _check(self, address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            raise _blocked(f"name lookup of {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
