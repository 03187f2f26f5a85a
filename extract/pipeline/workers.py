"""What runs the jobs: this process, worker processes of this machine, or
the workers of a Dask cluster.

Each is a `Runner`: a `concurrent.futures` executor and how many jobs it
runs at once, so that the batch keeps that many in flight and no more.
Local workers are spawned children of the ingest that die with it; a
cluster's workers are the cluster's, and this process is only its client.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from extract.errors import ClusterError, MissingDependency

log = logging.getLogger("selfeval.pipeline")

# How long a client waits for the scheduler, and then for a first worker.
CLUSTER_CONNECT_SECONDS = 20
CLUSTER_WORKER_SECONDS = 60


class SerialExecutor(Executor):
    """Runs each job at once, here: one worker without a process to start."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future, as a pool does
            future.set_exception(exc)
        return future


@dataclass
class Runner:
    executor: Executor
    capacity: int                     # jobs that run at once
    where: str                        # for the log: "here", "2 worker processes", "the cluster at …"
    _stop: Callable[[bool], None] = field(repr=False, default=lambda wait: None)

    def stop(self, wait: bool) -> None:
        """Shut down; on Ctrl-C or an error (`wait` False), at once."""
        self._stop(wait)


def local_runner(workers: int) -> Runner:
    """N worker processes, or this process alone for 1."""
    if workers == 1:
        return Runner(SerialExecutor(), 1, "here")
    # Workers are started clean (spawn), not forked from this process: a
    # forked worker would share the parent's open file handles.  They are the
    # parent's own children, so that they can be told to die with it.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))

    def stop(wait: bool) -> None:
        # A finished batch's workers are idle and hold nothing: ended at once
        # too, rather than waited for while each tears down its models.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=wait, cancel_futures=True)

    return Runner(pool, workers, f"{workers} worker processes", stop)


def cluster_runner(address: str) -> Runner:
    """The workers of the Dask cluster whose scheduler is at `address`.

    Jobs are submitted impure (each runs, none is taken from a cache), and a
    job whose worker died is run again elsewhere by the scheduler: the store,
    written here alone, keeps each file once."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise MissingDependency("running on a cluster needs Dask distributed: pip install 'selfeval[cluster]'") \
            from exc
    try:
        client = Client(address, timeout=f"{CLUSTER_CONNECT_SECONDS}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc}); start it with "
                           "`dask scheduler` and give its address as tcp://HOST:PORT") from exc
    try:
        client.wait_for_workers(1, timeout=CLUSTER_WORKER_SECONDS)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no worker after {CLUSTER_WORKER_SECONDS} s; "
                           f"start some with `dask worker {address} --nthreads 1`") from exc
    threads = sum(client.nthreads().values())
    executor = client.get_executor(pure=False)

    def stop(wait: bool) -> None:
        executor.shutdown(wait=wait)
        client.close()

    log.info("running on the Dask cluster at %s: %d workers, %d threads", address, len(client.nthreads()), threads)
    return Runner(executor, max(1, threads), f"the cluster at {address}", stop)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


# Native thread pools, one thread each in a worker: N workers are N cores.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _start_worker(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the pool),
    the worker dies with its parent, SIGKILL of the parent included, and it
    keeps to one core (the OCR's onnxruntime is told so where it is made)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for variable in _THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="selfeval-parent-watch").start()
    if os.getppid() != parent:  # the parent died before we could ask
        os._exit(1)


def _die_with_parent() -> bool:
    """Linux's PR_SET_PDEATHSIG: the kernel sends SIGKILL when the parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)
