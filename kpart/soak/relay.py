"""A local HTTP CONNECT relay between clients and brokers that can stall one broker's traffic.

kafka-python's ``proxy_url`` sends every broker connection through it. ``freeze(port)`` stops
passing bytes to and from the broker on ``port`` (connections stay open, as on a hung network
path); ``thaw(port)`` lets them flow again.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class StallableRelay:
    """CONNECT relay on 127.0.0.1; ``url`` is the ``proxy_url`` for clients."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._flowing: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="relay-accept").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _gate(self, port: int) -> threading.Event:
        with self._lock:
            gate = self._flowing.get(port)
            if gate is None:
                gate = self._flowing[port] = threading.Event()
                gate.set()
            return gate

    def freeze(self, port: int) -> None:
        self._gate(port).clear()

    def thaw(self, port: int) -> None:
        self._gate(port).set()

    def close(self) -> None:
        for gate in list(self._flowing.values()):
            gate.set()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        request = b""
        try:
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    client.close()
                    return
                request += chunk
            host, _, port = request.split()[1].decode().rpartition(":")
            broker = socket.create_connection((host, int(port)), timeout=5)
            broker.settimeout(None)
        except (OSError, ValueError, IndexError):
            with contextlib.suppress(OSError):
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            client.close()
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        gate = self._gate(int(port))
        threading.Thread(target=self._pump, args=(broker, client, gate), daemon=True).start()
        self._pump(client, broker, gate)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, gate: threading.Event) -> None:
        try:
            while chunk := source.recv(65536):
                gate.wait()
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
