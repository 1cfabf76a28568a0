"""The Trial Summary values ODM 1.3.2 and 2.0 share per record (model.dumped_once / shared_work, CdiscContext.once):
an output written after another of the same record is the output written alone (bytes, findings, coverage), and a
trial changed in place outside a record's scope is never served the values of its earlier content."""

from __future__ import annotations

import pytest

from trialexport.cdisc.context import CdiscContext
from trialexport.formats.base import Options
from trialexport.formats.odm.mapping.context import Ctx as OdmCtx
from trialexport.formats.registry import get
from trialexport.model import dumped_once, shared_work

ORDERS = [("odm-1.3.2", "odm-2.0"), ("odm-2.0", "odm-1.3.2"), ("odm-2.0", "sdtm", "odm-1.3.2")]


def _written(name: str, trial) -> tuple:
    out = get(name).write(trial, Options(source_date_epoch=0))
    return out.data, out.parts, [(d.code, d.message, d.path) for d in out.diagnostics], out.coverage.to_dict()


def test_outputs_after_another_are_outputs_written_alone(corpus_trials) -> None:
    checked = 0
    for res in corpus_trials.values():
        if res.trial is None:
            continue
        alone = {}
        for name in {n for order in ORDERS for n in order}:
            alone[name] = _written(name, res.trial)  # outside a record's scope: nothing shared
        for order in ORDERS:
            with dumped_once(res.trial):  # as the pipeline converts a record
                for name in order:
                    assert _written(name, res.trial) == alone[name], (res.trial.study_id, order, name)
                    checked += 1
                assert shared_work(res.trial), "the outputs shared their Trial Summary work"
    assert checked > 100


def test_once_replays_findings_and_carried_paths(corpus_trials) -> None:
    """A shared value brings what computing it reported and carried, deduplicated as if computed here; an earlier
    report in the first context (which swallowed the computation's own) does not hide it from the second."""
    trial = next(r.trial for r in corpus_trials.values() if r.trial)
    calls = []

    def compute(ctx: CdiscContext) -> int:
        calls.append(ctx)
        ctx.report("X-SHARED", "noticed", "design.phases", "info")
        ctx.carried.add("design.phases")
        return 42

    with dumped_once(trial):
        first = CdiscContext(trial=trial)
        first.report("X-SHARED", "noticed", "design.phases", "info")
        assert first.once("k", lambda: compute(first)) == 42
        second = CdiscContext(trial=trial)
        assert second.once("k", lambda: compute(second)) == 42
        assert calls == [first]
        for ctx in (first, second):
            assert [(d.code, d.path) for d in ctx.diagnostics] == [("X-SHARED", "design.phases")]
            assert "design.phases" in ctx.carried
        odm = OdmCtx(trial=trial)  # another kind of context (XML-safe text) computes its own
        assert odm.once("k", lambda: compute(odm)) == 42 and calls == [first, odm]


@pytest.mark.parametrize("name", ["odm-2.0", "odm-1.3.2", "sdtm"])
def test_trial_changed_in_place_gets_its_new_values(corpus_trials, name: str) -> None:
    trial = next(r.trial for r in corpus_trials.values() if r.trial and r.trial.identification.official_title)
    trial = trial.model_copy(deep=True)
    before = _written(name, trial)[0]
    trial.identification.official_title = "A title changed in place"
    after = _written(name, trial)[0]
    assert b"A title changed in place" in after and b"A title changed in place" not in before


def test_trial_summary_records_worked_out_once_per_record(corpus_trials, monkeypatch) -> None:
    """ODM 1.3.2 and 2.0 carry the same TS rows: the second version replays the first one's records (and what
    they reported and carried) instead of running the rows again; outside a record's scope each computes its own."""
    from trialexport.cdisc import ts

    assert ts.ts_rows("1.3.2") == ts.ts_rows("2.0")
    trial = next(r.trial for r in corpus_trials.values() if r.trial)
    calls = []
    real = ts._records
    monkeypatch.setattr(ts, "_records", lambda ctx, version: calls.append(version) or real(ctx, version))
    with dumped_once(trial):
        inside = [_written(name, trial) for name in ("odm-1.3.2", "odm-2.0")]
    assert calls == ["1.3.2"]
    assert [_written(name, trial) for name in ("odm-1.3.2", "odm-2.0")] == inside
    assert calls == ["1.3.2", "1.3.2", "2.0"]
