"""The fan-out benchmark runs end to end at a tiny size (its figures are for bench/results, not for asserting)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import fanout


def test_a_small_fanout_through_faults_and_a_kill_delivers_everyone_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = fanout.main(["--recipients", "10000", "--faults", "error_before=0.3,error_after=0.3", "--hang-seconds", "0",
                          "--kills", "1", "--threads", "2", "--database-url", f"sqlite:///{tmp_path / 'bench.db'}",
                          "--json"])
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (result["delivered"], result["duplicates"], result["lost"], result["chunks"]) == (10000, 0, 0, 20)
    assert result["requests"] > result["chunks"]  # the faults made it retry
    assert set(result) >= {"recipients", "delivered", "duplicates", "lost", "seconds", "floor_seconds", "requests",
                           "chunks"}
