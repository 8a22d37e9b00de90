"""The service's listening socket, bound before its URL is printed: a port that is taken is one line naming host
and port, never a URL that does not answer followed by uvicorn's shutdown."""

from __future__ import annotations

import socket

from emotion.utils.errors import UserError


def bound_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: one the system picks), handed to uvicorn as it is."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as err:
        raise UserError(f"--host {host}: not an address this machine can listen on ({err.strerror})") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port left in TIME_WAIT, not one in use
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise UserError(
            f"cannot listen on {host}:{port}: {err.strerror or err}; another server there? choose another --port"
        ) from None
    return sock
