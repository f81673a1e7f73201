"""benchmarks/performance.py's header: the machine and versions each section was measured on."""

from __future__ import annotations

from helpers.benchmark_scripts import load_benchmark


def _setup(cpu: str, version: str) -> dict:
    host = {"cpu": cpu, "cores": 2, "memory_gb": 23.5, "gpus": []}
    return {"host": host, "versions": {"rnn-harness": version, "ray": None}}


def test_sections_measured_on_other_machines_are_named_by_machine():
    performance = load_benchmark("performance")
    old, new = _setup("AMD EPYC", "0.2.0"), _setup("Intel Xeon", "0.3.0")
    results = {
        **new,
        "section_setups": {"padding": old, "growth": old, "backends": new},
    }

    lines = performance._machines(results)

    assert lines == [
        "- **Machines and versions**, by section:",
        "  - padding, growth: AMD EPYC, 2 cores, 23.5 GiB, no GPU; rnn-harness 0.2.0",
        "  - backends: Intel Xeon, 2 cores, 23.5 GiB, no GPU; rnn-harness 0.3.0",
    ]


def test_one_machine_for_every_section_is_one_line():
    performance = load_benchmark("performance")
    setup = _setup("AMD EPYC", "0.3.0")

    lines = performance._machines({**setup, "section_setups": {"padding": setup}})

    assert lines == [
        "- **Machine:** AMD EPYC, 2 cores, 23.5 GiB, no GPU",
        "- **Versions:** rnn-harness 0.3.0",
    ]
