"""Рушії виконання завдань бектесту й калібрування: послідовний, локальні процеси, кластер Dask.

Один інтерфейс (`Engine.map`): функція рівня модуля, завдання (прості дані), спільний для всіх
завдань об'єкт (`shared`: шкала прогону тощо) і зворотний виклик на кожне завершене завдання
(прогрес). Результати — у порядку завдань.
- `SerialEngine` — у цьому процесі (тести, один воркер без накладних витрат);
- `ProcessEngine` — `concurrent.futures.ProcessPoolExecutor` на forkserver: чисті процеси (як
  spawn — без успадкованих потоків прогрес-бару і їхніх замків), але модулі завдань імпортує раз
  сервер (`PRELOAD`, ~1 с: numpy, scipy.ndimage, конвеєр; scipy.signal бектест не імпортує), а
  воркери — його копії (fork), що стартують за мілісекунди. Сервер запускається при створенні рушія (паралельно з рештою підготовки) і живе
  до кінця процесу, тож другий пул (наступний прогін, повтор після смерті воркера, бенчмарк) імпорт
  уже не платить. Середовище воркера — те, що в батька при створенні пулу (як у spawn), а не
  застигле на старті сервера. Спільний об'єкт пишеться раз у тимчасовий файл, воркер читає його раз;
- `DaskEngine` — кластер Dask distributed (`tcp://HOST:8786`) або готовий `Client` (LocalCluster у
  тестах). Спільний об'єкт розсилається воркерам один раз (`scatter(broadcast=True)`).
Збої: виняток у завданні — `PartitionFailed` з ключем завдання (символ) і помилкою, решта завдань
скасовується. Смерть процесу воркера: `ProcessEngine` визначає, які завдання виконувались
(позначки старту), і повторює кожне з них один раз окремо — невинні сусіди проходять, завдання,
що вбиває воркер і вдруге, стає `PartitionFailed`. У Dask повтор після смерті воркера робить
планувальник (`distributed.scheduler.allowed-failures`, у тестах — 1), далі `KilledWorker` →
`PartitionFailed`.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from multiprocessing.queues import SimpleQueue
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")
TaskFn = Callable[[Any, Any], Any]
KeyFn = Callable[[Any], str]
DoneFn = Callable[[Any, Any], None]

WORKER_DIED = "worker process died"


class PartitionFailed(RuntimeError):
    """Завдання (символ, trial) не виконалось: ключ і причина одним рядком."""

    def __init__(self, key: str, error: str, *, retried: bool = False) -> None:
        self.key = key
        self.error = error
        self.retried = retried
        suffix = " (after one retry)" if retried else ""
        super().__init__(f"partition {key} failed{suffix}: {error}")


def describe(exc: BaseException) -> str:
    """Помилка одним рядком: тип і текст."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class Engine(Protocol):
    """Спільний інтерфейс рушіїв."""

    name: str

    @property
    def slots(self) -> int:
        """Скільки завдань виконується одночасно."""
        ...

    def map(
        self, fn: TaskFn, tasks: Sequence[Any], *, key: KeyFn, shared: Any = None, on_done: DoneFn | None = None
    ) -> list[Any]: ...

    def close(self) -> None: ...


# ── Послідовний ──
class SerialEngine:
    """Завдання по черзі в цьому процесі."""

    name = "serial"

    @property
    def slots(self) -> int:
        return 1

    def map(
        self, fn: TaskFn, tasks: Sequence[Any], *, key: KeyFn, shared: Any = None, on_done: DoneFn | None = None
    ) -> list[Any]:
        out = []
        for task in tasks:
            try:
                res = fn(task, shared)
            except Exception as exc:  # будь-яка помилка завдання — збій з назвою завдання
                raise PartitionFailed(key(task), describe(exc)) from exc
            if on_done is not None:
                on_done(task, res)
            out.append(res)
        return out

    def close(self) -> None:
        return None


# ── Локальні процеси ──
PRELOAD = ("aione.backtest.partition",)  # модулі, які сервер forkserver імпортує раз для всіх воркерів

_started: SimpleQueue[Any] | None = None
_shared_cache: dict[str, Any] = {}


def _init_worker(started: SimpleQueue[Any], env: dict[str, str]) -> None:
    global _started
    _started = started
    # Воркер — копія сервера forkserver, тож і його середовище — з часу старту сервера; беремо
    # батькове на момент створення пулу (як успадкував би spawn: тестові гачки, налаштування).
    os.environ.clear()
    os.environ.update(env)


def _shared(path: str | None) -> Any:
    """Спільний об'єкт з файлу (раз на процес воркера)."""
    if path is None:
        return None
    if path not in _shared_cache:
        with open(path, "rb") as fh:
            _shared_cache[path] = pickle.load(fh)  # noqa: S301 — наш власний тимчасовий файл
    return _shared_cache[path]


def _run_task(fn: TaskFn, task: Any, task_key: str, shared_path: str | None) -> Any:
    if _started is not None:
        _started.put(task_key)  # SimpleQueue пише одразу: позначка доживе до смерті процесу
    return fn(task, _shared(shared_path))


class ProcessEngine:
    """`ProcessPoolExecutor` на `workers` процесів (див. опис модуля). Пул живе між викликами
    `map` (обидва кроки бектесту — на тих самих процесах, імпорт раз) до `close` чи до смерті
    воркера (тоді — новий)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self._ctx: BaseContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            self._ctx = multiprocessing.get_context("forkserver")
            self._ctx.set_forkserver_preload(list(PRELOAD))
            forkserver.ensure_running()  # не чекає: сервер імпортує модулі, поки батько готує прогін
        else:  # платформи без fork: кожен воркер імпортує сам
            self._ctx = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._started: SimpleQueue[Any] | None = None
        self._iso: tuple[ProcessPoolExecutor, SimpleQueue[Any]] | None = None  # для повторів

    @property
    def slots(self) -> int:
        return self.workers

    def map(
        self, fn: TaskFn, tasks: Sequence[Any], *, key: KeyFn, shared: Any = None, on_done: DoneFn | None = None
    ) -> list[Any]:
        shared_path: str | None = None
        if shared is not None:
            fd, shared_path = tempfile.mkstemp(prefix="aione-shared-", suffix=".pkl")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(shared, fh, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            return self._map(fn, list(tasks), key, shared_path, on_done)
        finally:
            if shared_path is not None:
                os.unlink(shared_path)

    def _map(
        self, fn: TaskFn, tasks: list[Any], key: KeyFn, shared_path: str | None, on_done: DoneFn | None
    ) -> list[Any]:
        results: dict[int, Any] = {}
        keys = [key(t) for t in tasks]
        todo = list(range(len(tasks)))
        retried: set[int] = set()
        while todo:
            suspects = self._pool_run(fn, tasks, keys, todo, shared_path, on_done, results, isolated=False)
            todo = [i for i in todo if i not in results]
            if suspects is None:
                continue
            # Пул зламався: завдання, що виконувались, повторюються по одному, кожне — раз.
            for i in suspects:
                if i in results:
                    continue
                if i in retried:
                    raise PartitionFailed(keys[i], WORKER_DIED, retried=True)
                retried.add(i)
                again = self._pool_run(fn, tasks, keys, [i], shared_path, on_done, results, isolated=True)
                if again is not None:
                    raise PartitionFailed(keys[i], WORKER_DIED, retried=True)
            todo = [i for i in todo if i not in results]
        return [results[i] for i in range(len(tasks))]

    def _new_pool(self, workers: int) -> tuple[ProcessPoolExecutor, SimpleQueue[Any]]:
        started: SimpleQueue[Any] = self._ctx.SimpleQueue()
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(started, dict(os.environ)),
        )
        return pool, started

    def _pool_run(
        self,
        fn: TaskFn,
        tasks: list[Any],
        keys: list[str],
        indices: list[int],
        shared_path: str | None,
        on_done: DoneFn | None,
        results: dict[int, Any],
        *,
        isolated: bool,
    ) -> list[int] | None:
        """Завдання `indices` на пулі (`isolated` — на окремому пулі з одного процесу); None — усі
        виконано, інакше — ті, що виконувались, коли процес воркера помер."""
        if isolated:
            # Один процес на всі повтори по черзі (новий — лише після смерті попереднього).
            if self._iso is None:
                self._iso = self._new_pool(1)
            pool, started = self._iso
        else:
            if self._pool is None or self._started is None:
                self._pool, self._started = self._new_pool(self.workers)
            pool, started = self._pool, self._started
            while not started.empty():  # позначки попередніх викликів
                started.get()
        broken = False
        try:
            futures: dict[Future[Any], int] = {
                pool.submit(_run_task, fn, tasks[i], keys[i], shared_path): i for i in indices
            }
            pending = set(futures)
            while pending and not broken:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = futures[fut]
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    except Exception as exc:  # помилка в завданні: збій з назвою, решту скасовано
                        for other in pending:
                            other.cancel()
                        raise PartitionFailed(keys[i], describe(exc)) from exc
                    results[i] = res
                    if on_done is not None:
                        on_done(tasks[i], res)
        finally:
            if broken:
                pool.shutdown(wait=True, cancel_futures=True)
                if isolated:
                    self._iso = None
                else:
                    self._pool = self._started = None
        if not broken:
            return None
        marks: set[str] = set()
        while not started.empty():
            marks.add(started.get())
        return [i for i in indices if keys[i] in marks and i not in results]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = self._started = None
        if self._iso is not None:
            self._iso[0].shutdown(wait=True, cancel_futures=True)
            self._iso = None


# ── Dask ──
class DaskEngine:
    """Завдання на кластері Dask distributed (адреса планувальника або готовий `Client`)."""

    name = "dask"

    def __init__(self, address: str | None = None, *, client: Any = None) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise RuntimeError("--cluster needs dask[distributed]: pip install 'aione[cluster]'") from exc
        self._own = client is None
        self.client = client if client is not None else Client(address, timeout="20s")

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def map(
        self, fn: TaskFn, tasks: Sequence[Any], *, key: KeyFn, shared: Any = None, on_done: DoneFn | None = None
    ) -> list[Any]:
        from distributed import as_completed

        client = self.client
        shared_ref = client.scatter(shared, broadcast=True, hash=False) if shared is not None else None
        token = os.urandom(4).hex()
        futures = [
            client.submit(fn, task, shared_ref, key=f"aione-{key(task)}-{token}", pure=False) for task in tasks
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, Any] = {}
        try:
            for fut in as_completed(futures):
                i = index[fut.key]
                if fut.status != "finished":
                    exc = fut.exception()
                    error = WORKER_DIED if type(exc).__name__ == "KilledWorker" else describe(exc)
                    raise PartitionFailed(key(tasks[i]), error, retried=error == WORKER_DIED)
                results[i] = fut.result()
                if on_done is not None:
                    on_done(tasks[i], results[i])
        finally:
            client.cancel([f for f in futures if not f.done()])
            if shared_ref is not None:
                client.cancel([shared_ref])
        return [results[i] for i in range(len(tasks))]

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_engine(workers: int | None = None, cluster: str | None = None) -> Engine | None:
    """Рушій за параметрами CLI: `--cluster` — Dask, `--workers N` — процеси; нічого — None
    (звичайний однопроцесний прогін)."""
    if cluster:
        return DaskEngine(cluster)
    if workers is not None:
        return ProcessEngine(workers)
    return None


__all__ = [
    "PRELOAD",
    "WORKER_DIED",
    "DaskEngine",
    "Engine",
    "PartitionFailed",
    "ProcessEngine",
    "SerialEngine",
    "describe",
    "make_engine",
]
