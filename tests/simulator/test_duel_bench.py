"""`make bench`'s head-to-head figure: matches per core-minute of the STATE and camera
house drivers (the figure itself is a measurement, not asserted)."""

from simulator.duel_bench import BENCH_DRIVERS, bench_matches, main


def test_the_bench_reports_matches_per_core_minute_for_both_drivers(capsys):
    report = bench_matches(quick=True)
    assert [d["name"] for d in report["drivers"]] == list(BENCH_DRIVERS)
    for d in report["drivers"]:
        assert d["match_cpu_s"] > 0 and d["matches_per_core_minute"] > 0
        assert d["car_steps_per_match"] > 4 * 15  # four runs of at least a second each
    assert main(["--quick"]) == 0
    assert "matches per core-minute" in capsys.readouterr().out
