"""moto in server mode as a child process on loopback: the local run's, the tests' and the benchmarks' AWS."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoProcess:
    """moto in server mode as a child process on loopback."""

    def __init__(self, port: int | None = None, *, latency_ms: int = 0) -> None:
        self.port = port or free_port()
        self.latency_ms = latency_ms
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "devstack.moto_atomic", "-H", "127.0.0.1", "-p", str(self.port)]
            + (["--latency-ms", str(self.latency_ms)] if self.latency_ms else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop moto ourselves
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._process.returncode}")
            try:
                requests.get(f"{self.url}/moto-api/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not start within 30 s")

    def request_stats(self) -> dict[str, dict[str, float]]:
        """Per operation since the last reset: ``requests``, moto's ``seconds``, ``excess`` beyond the latency."""
        answer = requests.get(f"{self.url}/moto-bench/stats", timeout=10)
        answer.raise_for_status()
        stats: dict[str, dict[str, float]] = answer.json()
        return stats

    def reset_stats(self) -> None:
        requests.post(f"{self.url}/moto-bench/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
            self._process = None


# -- invocations, one at a time
