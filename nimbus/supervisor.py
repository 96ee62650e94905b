"""Worker processes that each take their share of the connections.

uvicorn's supervisor hands every worker the same listening socket; whichever worker's loop
wakes first accepts the whole backlog, so a keep-alive client's 8 connections could all land
on one worker while the other idled. Here every worker listens on a socket of its own, all
bound to the same address with ``SO_REUSEPORT``: the kernel spreads new connections over the
sockets by a hash of their addresses. The supervisor binds them and keeps them open, so a
worker that dies and is replaced loses no connection queued on its socket.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_address_free(host: str, port: int) -> None:
    """Bind once without SO_REUSEPORT, so that a port someone else holds (another Nimbus
    listening with SO_REUSEPORT too) is refused instead of shared."""
    with socket.socket(_family(host)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            log.error("%s", exc)
            sys.exit(STARTUP_FAILURE)


def reuseport_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        log.error("%s", exc)
        sys.exit(STARTUP_FAILURE)
    sock.set_inheritable(True)
    return sock


PR_SET_PDEATHSIG = 1


def exit_with_parent() -> None:
    """In a worker: get SIGTERM when the supervisor dies, even by SIGKILL (Linux), so no
    worker is left serving on its own."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)  # the supervisor was gone before the request took effect


class WorkerProcess(Process):
    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        exit_with_parent()
        super().target(sockets)


class BalancedMultiprocess(Multiprocess):
    """uvicorn's supervisor (restarts, SIGHUP, SIGTTIN/SIGTTOU) with one socket a worker."""

    def __init__(self, config: Config) -> None:
        check_address_free(config.host, config.port)
        self.worker_sockets = [reuseport_socket(config.host, config.port)
                               for _ in range(config.workers)]
        super().__init__(config, sockets=[])
        log.info("Listening on http://%s:%d with %d workers, one socket each",
                 config.host, config.port, config.workers)

    def _new_process(self, index: int) -> Process:
        while index >= len(self.worker_sockets):
            self.worker_sockets.append(reuseport_socket(self.config.host, self.config.port))
        return WorkerProcess(self.config, [self.worker_sockets[index]])

    def init_processes(self) -> None:
        for index in range(self.processes_num):
            process = self._new_process(index)
            process.start()
            self.processes.append(process)

    def restart_all(self) -> None:
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._new_process(index)
            new.start()
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck,
                                        self.should_exit):
                new.kill()
                new.join()
                log.error("New worker [%s] was not ready in time; keeping [%s].",
                          new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def keep_subprocess_alive(self) -> None:
        for index, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("Worker [%s] failed to start; stopping.", process.pid)
                self.should_exit.set()
                return
            log.info("Worker [%s] died; starting another on its socket", process.pid)
            replacement = self._new_process(index)
            replacement.start()
            self.processes[index] = replacement

    def handle_ttin(self) -> None:
        log.info("Received SIGTTIN, adding a worker.")
        process = self._new_process(len(self.processes))
        process.start()
        self.processes.append(process)
        self.processes_num = len(self.processes)

    def handle_ttou(self) -> None:
        if len(self.processes) <= 1:
            log.info("Already down to one worker.")
            return
        log.info("Received SIGTTOU, retiring a worker.")
        process = self.processes.pop()
        process.terminate()
        process.join()
        # Its socket closes too: connections queued there would otherwise wait for nobody.
        self.worker_sockets.pop().close()
        self.processes_num = len(self.processes)

    def run(self) -> None:
        try:
            super().run()
        finally:
            for sock in self.worker_sockets:
                sock.close()


def serve_workers(config: Config) -> None:
    """Run ``config.workers`` (> 1) workers of ``config.app`` until a signal stops them."""
    try:
        BalancedMultiprocess(config).run()
    except KeyboardInterrupt:
        pass
