"""``convert --dask`` (issue 17 item 6) on a real ``dask.distributed`` LocalCluster of two worker processes: outputs
byte-identical to the normal path for a folder, a bulk zip and NDJSON; a bad record fails alone; re-runs resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS, cli

TARGETS = "all"
RECORDS = CORPUS[:8]  # every kind of study the corpus starts with; ~0.5 s of work per run on two workers


@pytest.fixture(scope="module")
def scheduler():
    """One LocalCluster (2 worker processes, 1 thread each) for the module; its scheduler's address."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The same records as a folder of study JSON, a bulk zip (members as the registry's download names them) and
    NDJSON."""
    root = tmp_path_factory.mktemp("dask-inputs")
    folder = root / "studies"
    folder.mkdir()
    for path in RECORDS:
        (folder / path.name).write_bytes(path.read_bytes())
    with zipfile.ZipFile(root / "ctg-studies.json.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in RECORDS:
            zf.writestr(path.name, path.read_bytes())
    (root / "studies.ndjson").write_bytes(b"".join(json.dumps(json.loads(p.read_bytes())).encode() + b"\n"
                                                   for p in RECORDS))
    return {"folder": folder, "zip": root / "ctg-studies.json.zip", "ndjson": root / "studies.ndjson"}


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """What the normal path (one process) writes for the folder: file name -> bytes."""
    out = tmp_path_factory.mktemp("dask-reference")
    run = cli("convert", inputs["folder"], "--to", TARGETS, "-o", out, "-q")
    assert run.returncode == 0, run.stderr
    return _files(out)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and not p.name.startswith(".")}


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize("kind", ["folder", "zip", "ndjson"])
def test_outputs_are_byte_identical_to_the_normal_path(kind, scheduler, inputs, reference, tmp_path):
    out = tmp_path / "out"
    run = cli("convert", inputs[kind], "--to", TARGETS, "-o", out, "--dask", scheduler, "--jobs", "1")
    assert run.returncode == 0, run.stderr
    assert "warning: --jobs has no effect with --dask" in run.stderr
    assert f"{len(RECORDS)} of {len(RECORDS)} record(s) converted" in run.stderr
    assert len(reference) == 4 * len(RECORDS)  # fhir-r5, fhir-r4, odm-1.3.2, odm-2.0 per study
    assert _files(out) == reference
    assert not list(out.glob(".*.part"))


def test_a_bad_record_fails_alone(scheduler, inputs, reference, tmp_path):
    lines = inputs["ndjson"].read_bytes().splitlines(keepends=True)
    broken = json.loads(lines[2])
    del broken["protocolSection"]["identificationModule"]["nctId"]
    del broken["protocolSection"]["identificationModule"]["orgStudyIdInfo"]
    src = tmp_path / "mixed.ndjson"
    src.write_bytes(b"".join([*lines[:2], json.dumps(broken).encode() + b"\n", b'{"protocolSection": \n',
                              *lines[3:]]))
    out = tmp_path / "out"
    run = cli("convert", src, "--to", TARGETS, "-o", out, "--dask", scheduler)
    assert run.returncode == 1
    assert "line 3" in run.stderr and "READ-NO-ID" in run.stderr  # file, record and what was expected
    assert "line 4" in run.stderr and "READ-JSON" in run.stderr
    assert f"{len(RECORDS) - 1} of {len(RECORDS) + 1} record(s) converted, 2 failed" in run.stderr
    missing = RECORDS[2].stem
    assert _files(out) == {name: data for name, data in reference.items() if not name.startswith(missing)}


def test_a_rerun_resumes_and_an_interrupted_run_completes(scheduler, inputs, reference, tmp_path):
    out = tmp_path / "out"
    args = ("convert", inputs["zip"], "--to", TARGETS, "-o", out, "--dask", scheduler, "--resume")
    assert cli(*args).returncode == 0
    before = _stamps(out)
    again = cli(*args)
    assert again.returncode == 0
    assert f"({len(RECORDS)} already current, skipped)" in again.stderr
    assert _stamps(out) == before  # nothing rewritten: same inode, same modification time

    # an interrupted run: some outputs never written, a temporary file of a process that is gone
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    lost = sorted(before)[:5]
    for name in lost:
        (out / name).unlink()
    part = out / f".{lost[0]}.{gone}.x1y2.part"
    part.write_bytes(b'{"resourceType": "Bund')
    finish = cli(*args)
    assert finish.returncode == 0, finish.stderr
    redone = {name.split(".")[0] for name in lost}
    assert f"({len(RECORDS) - len(redone)} already current, skipped)" in finish.stderr
    assert not part.exists()
    assert _files(out) == reference
    after = _stamps(out)
    assert {n: s for n, s in after.items() if n.split(".")[0] not in redone} == \
        {n: s for n, s in before.items() if n.split(".")[0] not in redone}


def test_the_per_record_function_in_a_dask_bag(scheduler, inputs, reference):
    """The documented recipe for one's own pipeline: NDJSON lines as a dask.bag, converted by the pure function."""
    import dask.bag as db
    from dask.distributed import Client

    from trialexport.cli.output import targets_from
    from trialexport.formats.base import Options
    from trialexport.pipeline.dask_run import convert_record

    targets = targets_from(["all"])
    lines = inputs["ndjson"].read_bytes().splitlines()
    with Client(scheduler):
        results = db.from_sequence(lines, npartitions=2).map(convert_record, "studies.ndjson", targets,
                                                             Options()).flatten().compute()
    assert [r["study_id"] for r in results] == [p.stem for p in RECORDS] and all(r["ok"] for r in results)
    assert {name: data for r in results for name, data in r["outputs"].items()} == reference


def test_usage_errors_are_one_line(scheduler, inputs, tmp_path, monkeypatch):
    from trialexport.pipeline import dask_run

    quick = {dask_run.CONNECT_TIMEOUT_VARIABLE: "1"}  # seconds to give up on the scheduler
    unreachable = cli("convert", inputs["folder"], "--to", TARGETS, "-o", tmp_path / "a", "--dask", "tcp://127.0.0.1:9",
                      env=quick)
    assert unreachable.returncode == 2
    assert "Error: --dask tcp://127.0.0.1:9: cannot reach the Dask scheduler" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
    for wrong in ("soon", "0", "-5", "inf", "nan"):
        odd = cli("convert", inputs["folder"], "--to", TARGETS, "-o", tmp_path / "o", "--dask", scheduler,
                  env={dask_run.CONNECT_TIMEOUT_VARIABLE: wrong})
        assert odd.returncode == 2, wrong
        assert f"TRIALEXPORT_DASK_CONNECT_TIMEOUT={wrong!r}: expected a number of seconds greater than 0" in odd.stderr
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as idle:
        workerless = cli("convert", inputs["folder"], "--to", TARGETS, "-o", tmp_path / "w", "--dask",
                         idle.scheduler_address, env=quick)
    assert workerless.returncode == 2 and "the Dask scheduler has no worker" in workerless.stderr
    stdout = cli("convert", inputs["folder"], "--to", "fhir-r4", "--dask", scheduler)
    assert stdout.returncode == 2 and "--dask needs an output folder" in stdout.stderr
    bad = cli("convert", inputs["folder"], "--to", TARGETS, "-o", tmp_path / "b", "--dask", "local:many")
    assert bad.returncode == 2 and "expected local or local:N" in bad.stderr
    negative = cli("convert", inputs["folder"], "--to", TARGETS, "-o", tmp_path / "n", "--dask", scheduler,
                   "--dask-timeout", "-1")
    assert negative.returncode == 2 and "--dask-timeout" in negative.stderr
    alone = cli("convert", inputs["folder"], "--to", "fhir-r4", "-o", tmp_path / "l", "--dask-timeout", "5")
    assert alone.returncode == 0 and "warning: --dask-timeout has no effect without --dask" in alone.stderr
    assert f"[default: {dask_run.RECORD_TIMEOUT:g}]" in " ".join(cli("convert", "--help").stdout.split())
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if the extra were not installed
    missing = cli("convert", inputs["folder"], "--to", TARGETS, "-o", tmp_path / "c", "--dask", scheduler)
    assert missing.returncode == 2
    assert "--dask needs the optional extra: pip install 'trialexport[dask]'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_cli_starts_without_dask():
    code = ("import sys; from click.testing import CliRunner; from trialexport.cli import main; "
            "CliRunner().invoke(main, ['convert', '--help']); print(sorted(m for m in sys.modules if 'dask' in m))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_a_failed_task_fails_its_records_only_in_input_order(scheduler):
    """A task that fails on the cluster (an exception, or ``KilledWorker`` when its worker dies more often than the
    scheduler retries) is sent again one item per task, so only the culprit fails (tasks of 1, 1, 1, 1, then 2
    records on two one-thread workers: 36 and -1 share one); the others keep their results, in order."""
    import math

    from dask.distributed import Client

    from trialexport.pipeline.dask_run import DaskWorkers
    from trialexport.pipeline.workers import WorkerDied

    with Client(scheduler) as client:
        pool = DaskWorkers(client, batch=2)
        results = list(pool.imap(math.sqrt, [4, 9, 16, 25, 36, -1, 49, 64]))
        pool.close()
    assert results[:5] == [2.0, 3.0, 4.0, 5.0, 6.0] and results[6:] == [7.0, 8.0]
    assert isinstance(results[5], WorkerDied) and results[5].item == -1
    assert "math domain error" in str(results[5])


def test_the_python_api_recipe(scheduler, inputs, reference, tmp_path):
    """``convert_on_dask`` with one's own client: the documented recipe, outcomes in input order."""
    from dask.distributed import Client

    from trialexport.formats.base import Options
    from trialexport.pipeline.dask_run import convert_on_dask

    with Client(scheduler) as client:
        outcomes = list(convert_on_dask(client, [str(inputs["zip"])], ["fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0"],
                                        str(tmp_path), Options(), resume=True))
    assert [o.study_id for o in outcomes] == [p.stem for p in RECORDS] and all(o.ok for o in outcomes)
    assert _files(tmp_path) == reference


# Faults on a cluster of the test's own (2 one-thread worker processes, each under a nanny as `dask worker` starts
# them): a record that hangs, a worker process killed. The faults are worker plugins of tests/dask_faults.py.

@pytest.fixture
def own_cluster():
    """A fresh LocalCluster of 2 worker processes and a client to register faults with (a fault's plugin warms every
    worker, restarted ones too)."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield cluster.scheduler_address, client


def _ndjson(inputs: dict[str, Path], tmp_path: Path) -> Path:
    src = tmp_path / "studies.ndjson"  # lines 1..8: RECORDS in order (tasks of 1, 1, 1, 1, then [5, 6], [7, 8])
    src.write_bytes(inputs["ndjson"].read_bytes())
    return src


def _without(reference: dict[str, bytes], index: int) -> dict[str, bytes]:
    return {name: data for name, data in reference.items() if not name.startswith(RECORDS[index].stem)}


def test_a_hung_record_fails_alone_after_the_timeout_and_a_rerun_retries_it(own_cluster, inputs, reference,
                                                                           tmp_path):
    from dask_faults import Hang

    address, client = own_cluster
    marker = tmp_path / "hung-once"
    client.register_plugin(Hang("line 6", str(marker)))
    src, out = _ndjson(inputs, tmp_path), tmp_path / "out"
    run = cli("convert", src, "--to", TARGETS, "-o", out, "--dask", address, "--dask-timeout", "1", "--resume")
    assert run.returncode == 1, run.stderr
    line = next((ln for ln in run.stderr.splitlines() if "line 6" in ln), run.stderr)
    assert line.startswith(f"{src}: record line 6: error MAP-ABORTED: converting this record took longer than 1 s "
                           "(--dask-timeout) on Dask worker tcp://"), line
    assert "its task was cancelled and its worker process ended (its Dask nanny starts a new one); re-run with " \
           "--resume to try it again" in line
    assert f"{len(RECORDS) - 1} of {len(RECORDS)} record(s) converted, 1 failed" in run.stderr
    assert "Traceback" not in run.stderr
    assert _files(out) == _without(reference, 5)  # line 5, in the hung record's task, converted again
    assert not list(out.glob(".*.part"))
    hung_worker = int(marker.read_text().split()[0])
    assert not _alive(hung_worker)  # the stuck thread is gone with its process
    client.wait_for_workers(2, timeout=30)  # and the nanny started a new worker

    again = cli("convert", src, "--to", TARGETS, "-o", out, "--dask", address, "--dask-timeout", "1", "--resume")
    assert again.returncode == 0, again.stderr
    assert f"({len(RECORDS) - 1} already current, skipped)" in again.stderr
    assert _files(out) == reference


def test_a_worker_that_stops_answering_is_replaced_and_its_records_converted_elsewhere(own_cluster, inputs, reference,
                                                                                      tmp_path):
    """The worker converting line 6 freezes (SIGSTOP, event loop included): no worker reports the task of lines 5-6
    running, so after the limit per record (1 s x 2) the task is cancelled, the frozen worker killed by its nanny and
    replaced, and lines 5 and 6 are sent again one per task; a finished task whose result the frozen worker holds is
    sent again once its result cannot be fetched within the limit: every record is converted, the CLI's bytes. (Before
    the fetch had a limit this run waited for the scheduler's worker-ttl, 5 minutes.)"""
    from dask_faults import Freeze

    address, client = own_cluster
    marker = tmp_path / "frozen-once"
    client.register_plugin(Freeze("line 6", str(marker)))
    out = tmp_path / "out"
    run = cli("convert", _ndjson(inputs, tmp_path), "--to", TARGETS, "-o", out, "--dask", address, "--dask-timeout",
              "1")
    assert run.returncode == 0, run.stderr
    assert f"{len(RECORDS)} of {len(RECORDS)} record(s) converted" in run.stderr
    assert not _alive(int(marker.read_text().split()[0]))
    assert _files(out) == reference
    assert not list(out.glob(".*.part"))


def test_a_worker_killed_mid_task_is_recomputed_by_dask(own_cluster, inputs, reference, tmp_path):
    """The worker converting line 6 dies (SIGKILL) after staging line 5 of the same task: the scheduler gives the
    task to a worker again (``allowed-failures``: 3 by default), so every record is converted, the CLI's bytes, and
    the files the dead worker staged are removed."""
    from dask_faults import Kill

    address, client = own_cluster
    marker = tmp_path / "killed-once"
    client.register_plugin(Kill("line 6", str(marker)))
    out = tmp_path / "out"
    run = cli("convert", _ndjson(inputs, tmp_path), "--to", TARGETS, "-o", out, "--dask", address)
    assert run.returncode == 0, run.stderr
    assert f"{len(RECORDS)} of {len(RECORDS)} record(s) converted" in run.stderr
    killed, staged = map(int, marker.read_text().split())
    assert not _alive(killed) and staged >= 4  # it died with line 5's four formats staged
    assert _files(out) == reference
    assert not list(out.glob(".*.part"))


def test_a_record_that_kills_every_worker_fails_alone(inputs, reference, tmp_path):
    """Past ``allowed-failures`` (1 here) the scheduler gives up on the task (``KilledWorker``): its records are
    sent again one by one, so line 5 is converted and line 6 alone is reported failed. (The scheduler also blames a
    task merely queued on a worker that dies: line 5 alone once met ``KilledWorker`` too, 1 run in 10, hence one more
    go for a lone record.)"""
    import dask
    from dask.distributed import Client, LocalCluster
    from dask_faults import Kill

    out = tmp_path / "out"
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.register_plugin(Kill("line 6"))
        run = cli("convert", _ndjson(inputs, tmp_path), "--to", TARGETS, "-o", out, "--dask",
                  cluster.scheduler_address)
    assert run.returncode == 1
    line = next((ln for ln in run.stderr.splitlines() if "line 6" in ln), run.stderr)
    assert "error MAP-ABORTED: the Dask task converting this record failed (KilledWorker" in line, line
    assert f"{len(RECORDS) - 1} of {len(RECORDS)} record(s) converted, 1 failed" in run.stderr
    assert _files(out) == _without(reference, 5)
    assert not list(out.glob(".*.part"))


def test_a_killed_run_leaves_complete_files_only_and_a_rerun_does_the_rest(own_cluster, inputs, reference,
                                                                          tmp_path):
    """The ``convert --dask`` process itself is killed (SIGKILL) while line 6 hangs on a worker: what it committed
    is complete, what workers staged is under temporary names only; ``--resume`` converts only the rest."""
    from dask_faults import Hang

    from trialexport.pipeline.dask_run import _exit_worker

    address, client = own_cluster
    marker = tmp_path / "hung-once"
    client.register_plugin(Hang("line 6", str(marker)))
    out = tmp_path / "out"
    args = ("convert", _ndjson(inputs, tmp_path), "--to", TARGETS, "-o", out, "--dask", address, "--resume")
    proc = subprocess.Popen([sys.executable, "-m", "trialexport", *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and len(_files(out)) == 16 and len(list(out.glob(".*.part"))) >= 12):
            assert time.monotonic() < deadline and proc.poll() is None, "the run never reached line 6"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    done = _files(out)
    assert done == {name: reference[name] for name in done}  # lines 1-4, each file complete
    assert {n.split(".")[0] for n in done} == {p.stem for p in RECORDS[:4]}
    assert len(list(out.glob(".*.part"))) >= 12  # lines 5, 7, 8 staged by workers, never committed
    hung = int(marker.read_text().split()[0])  # end the worker whose thread hangs; its nanny starts a new one
    client.run(_exit_worker, workers=[w for w, pid in client.run(os.getpid).items() if pid == hung], wait=False)
    while _alive(hung):
        time.sleep(0.05)
    client.wait_for_workers(2, timeout=30)
    before = _stamps(out)

    finish = cli(*args)
    assert finish.returncode == 0, finish.stderr
    assert "(4 already current, skipped)" in finish.stderr
    assert _files(out) == reference
    assert not list(out.glob(".*.part"))
    assert {n: s for n, s in _stamps(out).items() if n in before} == before


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and b") Z" not in Path(f"/proc/{pid}/stat").read_bytes()


def test_losing_the_scheduler_mid_run_ends_the_run_in_one_line_and_a_rerun_resumes(scheduler, inputs, reference,
                                                                                    tmp_path):
    """The scheduler goes away while a record is converting (no --dask-timeout: the wait without a limit): once the
    client gives up reconnecting the run ends, exit 1, one line, complete files only; --resume does the rest."""
    from dask.distributed import Client, LocalCluster
    from dask_faults import Hang

    src, out = _ndjson(inputs, tmp_path), tmp_path / "out"
    marker = tmp_path / "hung-once"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}  # the client's reconnect window
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        with Client(cluster) as client:
            client.register_plugin(Hang("line 6", str(marker)))
            run = subprocess.Popen([sys.executable, "-m", "trialexport", "convert", str(src), "--to", TARGETS, "-o",
                                    str(out), "--dask", cluster.scheduler_address, "--dask-timeout", "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert marker.exists(), "line 6 never started converting"
    finally:
        cluster.close()  # the scheduler and its workers go away mid-run
    try:
        _, err = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        run.kill()
        run.communicate()
        pytest.fail("the run hangs once the scheduler is gone")
    stderr = err.decode()
    assert run.returncode == 1, stderr
    assert "error: lost the connection to the Dask scheduler mid-run (" in stderr
    assert "re-run the same command with --resume to convert the rest" in stderr
    assert "Traceback" not in stderr
    written = _files(out)
    assert written and all(reference[name] == data for name, data in written.items())  # complete files only

    again = cli("convert", src, "--to", TARGETS, "-o", out, "--dask", scheduler, "--resume")
    assert again.returncode == 0, again.stderr
    assert _files(out) == reference
    assert not list(out.glob(".*.part"))
