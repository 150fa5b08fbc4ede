"""``python -m benchmarks s3`` (also ``python -m benchmarks io --store s3``): the S3 pickle IO
manager against raw boto3 on SeaweedFS, a real S3 server started here on loopback ports.

Two workloads, each written and read back, through ``PickledObjectS3IOManager`` (orch's
fsspec/s3fs object-store core, the same calls a step makes) and through boto3 directly in the
same run (``put_object``/``get_object`` + pickle, and ``upload_fileobj`` for the large one, as
dagster-aws did): 1,000 small outputs (per-object latency: median and p95) and one 200 MB
output (throughput). Rounds alternate between the paths so load on the machine falls on all
alike; the table gives the best round of each and the IO manager's overhead over boto3.

The large output is also written the way the IO manager did before it streamed (the whole
pickle, then s3fs's ``pipe_file`` in 50 MB parts; ``cat_file``, then ``pickle.loads``), in the
same rounds, so one run compares before and after. Each large path's client CPU seconds (this
process, all threads) are given too: on a loaded machine wall times swing with the server's
share of the cores, while the CPU the client spends is what the path itself costs.

First, as a user runs it: ``orch run`` of a fan-out of 100 solids whose outputs go to S3
(``s3_pickle_io_manager`` and ``s3_resource`` on the server's endpoint), beside the same run
with ``fs_io_manager``, interleaved, whole processes (persistent ORCH_HOME): the engine ms a
step each costs, from the run record, and what S3 adds a step. The IO manager against boto3
follows, labelled engine only.
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orch import build_input_context, build_output_context


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed_cpu(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds (every thread: s3fs's IO loop too)."""
    cpu, start = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def _small_round(manager: Any, client: Any, bucket: str, count: int, tag: str
                 ) -> dict[str, list[float]]:
    value = {"row": list(range(20)), "name": "small output"}
    out: dict[str, list[float]] = {"io_manager": [], "boto3": []}
    for i in range(count):
        def managed(step: str = f"step_{i}") -> None:
            ctx = build_output_context(step, run_id=f"bench-{tag}")
            manager.handle_output(ctx, value)
            manager.load_input(build_input_context(upstream_output=ctx))

        out["io_manager"].append(_timed(managed))
        key = f"raw/{tag}/step_{i}/result"

        def raw(key: str = key) -> None:
            client.put_object(Bucket=bucket, Key=key, Body=pickle.dumps(value))
            pickle.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())

        out["boto3"].append(_timed(raw))
    return out


BEFORE = "io_manager before (pipe_file)"
PUT_GET, FILEOBJ = "boto3 put/get_object", "boto3 upload/download_fileobj"


def _large_round(manager: Any, client: Any, bucket: str, blob: bytes, tag: str
                 ) -> dict[str, tuple[float, float]]:
    key = f"raw/{tag}/large"

    def via_manager() -> None:
        ctx = build_output_context("large", run_id=f"bench-{tag}")
        manager.handle_output(ctx, blob)
        assert len(manager.load_input(build_input_context(upstream_output=ctx))) == len(blob)

    def via_manager_before() -> None:
        # The IO manager's path before it streamed: the whole pickle, then s3fs's pipe_file
        # (50 MB parts) and cat_file (one ranged GET), then pickle.loads.
        store = manager.store
        store.put(key + "-before", pickle.dumps(blob, protocol=pickle.HIGHEST_PROTOCOL))
        assert len(pickle.loads(store.get(key + "-before"))) == len(blob)

    def via_put() -> None:
        client.put_object(Bucket=bucket, Key=key, Body=pickle.dumps(blob))
        assert len(pickle.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())) \
            == len(blob)

    def via_upload_fileobj() -> None:
        client.upload_fileobj(io.BytesIO(pickle.dumps(blob)), bucket, key + "-tm")
        buf = io.BytesIO()
        client.download_fileobj(bucket, key + "-tm", buf)
        assert len(pickle.loads(buf.getvalue())) == len(blob)

    return {"io_manager": _timed_cpu(via_manager), BEFORE: _timed_cpu(via_manager_before),
            PUT_GET: _timed_cpu(via_put), FILEOBJ: _timed_cpu(via_upload_fileobj)}


FANOUT = """\
from orch import ModeDefinition, fs_io_manager, pipeline, solid
from orch.integrations.aws.s3 import s3_pickle_io_manager, s3_resource

MODES = [ModeDefinition("s3", resource_defs={{"io_manager": s3_pickle_io_manager,
                                              "s3": s3_resource}}),
         ModeDefinition("fs", resource_defs={{"io_manager": fs_io_manager}})]


@solid
def source(context):
    return list(range(100))


def leaf(i):
    @solid(name=f"leaf_{{i}}")
    def _leaf(context, xs):
        return xs[i] * 2
    return _leaf


@pipeline(mode_defs=MODES)
def fanout():
    xs = source()
    for i in range({n}):
        leaf(i)(xs)
"""


def real_entry_point(root: Path, endpoint: str, bucket: str, env: dict[str, str],
                     repeats: int, leaves: int = 100) -> None:
    """``orch run -p fanout --mode s3`` against ``--mode fs``, interleaved."""
    from .entry import (
        Measured,
        become_subreaper,
        load,
        orch_script,
        timed_process,
        timing_env,
        with_run_record,
    )

    become_subreaper()
    home = root / "cli_home"
    environment = {**timing_env(home), **env}
    repo = root / "fanout.py"
    repo.write_text(FANOUT.format(n=leaves))
    config = root / "s3.yaml"
    config.write_text(f"resources:\n  io_manager:\n    config:\n      s3_bucket: {bucket}\n"
                      f"  s3:\n    config:\n      endpoint_url: {endpoint}\n"
                      "      region_name: us-east-1\n")

    def run(mode: str) -> Measured:
        argv = [orch_script(), "run", "-f", str(repo), "-p", "fanout", "--mode", mode, "-q",
                *(["-c", str(config)] if mode == "s3" else [])]
        wall, rss, _ = timed_process(argv, environment, root)
        measured = with_run_record(home, Measured(wall, max_rss_mb=rss))
        assert measured.status == "SUCCESS", measured.status
        return measured

    run("s3"), run("fs")  # warm: the instance, the bucket's connection pool, OS caches
    runs: dict[str, list[Measured]] = {"s3": [], "fs": []}
    for _ in range(repeats):
        for mode in runs:
            runs[mode].append(run(mode))
    per_step = {mode: statistics.median(m.engine_ms_per_step for m in ms)
                for mode, ms in runs.items()}
    wall = {mode: statistics.median(m.wall for m in ms) for mode, ms in runs.items()}
    print(f"as a user runs it: `orch run -p fanout` ({leaves + 1} steps, every output stored), "
          f"whole process, median of {repeats}, interleaved   {load()}")
    for mode, label in (("s3", "s3_pickle_io_manager"), ("fs", "fs_io_manager")):
        print(f"  {label:<22} wall {wall[mode]:6.2f} s   engine {per_step[mode]:6.2f} ms a step")
    print(f"  S3 adds {per_step['s3'] - per_step['fs']:+.2f} ms a step (a put and a get of each "
          "output through SeaweedFS on loopback)\n")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks s3")
    parser.add_argument("--small", type=int, default=1000, help="small outputs per round")
    parser.add_argument("--large-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large-rounds", type=int, default=5,
                        help="rounds of the large output (each round: every path once)")
    parser.add_argument("--quick", action="store_true", help="100 small, 20 MB, 2 rounds")
    parser.add_argument("--store", default="s3", choices=["s3"])
    args = parser.parse_args(argv)
    if args.quick:
        args.small, args.large_mb, args.rounds, args.large_rounds = 100, 20, 2, 2

    from tests.integrations.cloud_servers import seaweedfs_server

    with tempfile.TemporaryDirectory(prefix="orch-bench-s3-") as tmp, \
            seaweedfs_server(Path(tmp)) as server:
        for name, value in server.env().items():
            os.environ[name] = value
        from orch.integrations.aws.s3 import PickledObjectS3IOManager
        from orch.integrations.aws.s3.resources import S3Settings

        client = S3Settings(endpoint_url=server.endpoint_url, region_name="us-east-1").client()
        bucket = "orch-bench"
        client.create_bucket(Bucket=bucket)
        real_entry_point(Path(tmp), server.endpoint_url, bucket, server.env(),
                         repeats=1 if args.quick else 3)
        print("engine only: the IO manager against boto3, in this process")
        manager = PickledObjectS3IOManager(bucket, client)
        _small_round(manager, client, bucket, 20, "warm")  # connections, imports

        small: dict[str, list[list[float]]] = {"io_manager": [], "boto3": []}
        large: dict[str, list[tuple[float, float]]] = {}
        blob = os.urandom(args.large_mb * 1024 * 1024)
        load_before = os.getloadavg()
        for r in range(max(args.rounds, args.large_rounds)):
            if r < args.rounds:
                for path, times in _small_round(manager, client, bucket, args.small,
                                                f"r{r}").items():
                    small[path].append(times)
            if r < args.large_rounds:
                for path, timing in _large_round(manager, client, bucket, blob,
                                                 f"r{r}").items():
                    large.setdefault(path, []).append(timing)
        load_after = os.getloadavg()

    print(f"SeaweedFS on loopback; rounds alternating the paths; best round; load average "
          f"{load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end "
          f"({os.cpu_count()} cores)")
    print(f"\n{args.small} small outputs (write + read each), {args.rounds} rounds:")
    print(f"  {'path':<14} {'total s':>9} {'median ms':>10} {'p95 ms':>8}")
    total: dict[str, float] = {}
    median: dict[str, float] = {}
    for path, rounds in small.items():
        times = min(rounds, key=sum)
        total[path], median[path] = sum(times), statistics.median(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        print(f"  {path:<14} {total[path]:>9.2f} {median[path] * 1000:>10.2f} "
              f"{p95 * 1000:>8.2f}")
    print(f"  IO manager overhead over boto3: total "
          f"{(total['io_manager'] / total['boto3'] - 1) * 100:+.0f}%, median per object "
          f"{(median['io_manager'] / median['boto3'] - 1) * 100:+.0f}%")
    print(f"\none {args.large_mb} MB output (write + read), {args.large_rounds} rounds:")
    print(f"  {'path':<30} {'best s':>7} {'MB/s':>7} {'median s':>9} {'client CPU s':>13}")
    best = {path: min(wall for wall, _ in timings) for path, timings in large.items()}
    for path, timings in large.items():
        walls = [wall for wall, _ in timings]
        cpu = min(c for _, c in timings)
        print(f"  {path:<30} {best[path]:>7.2f} {2 * args.large_mb / best[path]:>7.1f} "
              f"{statistics.median(walls):>9.2f} {cpu:>13.2f}")
    # The faster boto3 path by its best round; each path has the same number of rounds (a
    # minimum over both boto3 paths' rounds together would be a best of twice as many).
    raw = min((PUT_GET, FILEOBJ), key=lambda p: best[p])
    medians = {p: statistics.median(w for w, _ in large[p]) for p in large}
    cpus = {p: min(c for _, c in large[p]) for p in large}
    for path in ("io_manager", BEFORE):
        print(f"  {path} over {raw}: best round "
              f"{(best[path] / best[raw] - 1) * 100:+.0f}%, median "
              f"{(medians[path] / medians[raw] - 1) * 100:+.0f}%, client CPU "
              f"{(cpus[path] / cpus[raw] - 1) * 100:+.0f}%")
