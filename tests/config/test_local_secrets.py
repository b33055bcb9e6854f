"""Development secrets created on first use agree across processes that start together."""

import multiprocessing
import re
import stat
from pathlib import Path

from config.local_secrets import local_secret


def _read_after(barrier: object, var_dir: str, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    results.put(local_secret(Path(var_dir), "journal_signing_key"))  # type: ignore[attr-defined]


def test_processes_starting_together_all_read_the_one_whole_secret(tmp_path: Path) -> None:
    # Granian starts its workers at the same instant on a fresh checkout; each must read the
    # complete key the first one wrote, never an empty file.
    context = multiprocessing.get_context("spawn")
    workers = 8
    for attempt in range(5):
        var_dir = tmp_path / f"var{attempt}"
        barrier = context.Barrier(workers)
        results = context.Queue()
        processes = [
            context.Process(target=_read_after, args=(barrier, str(var_dir), results))
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        values = {results.get(timeout=60) for _ in processes}
        for process in processes:
            process.join(timeout=60)
        assert len(values) == 1
        [value] = values
        assert re.fullmatch(r"[0-9a-f]{64}", value)
        key_file = var_dir / "journal_signing_key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [path.name for path in var_dir.iterdir()] == ["journal_signing_key"]
