"""probe_report: a probe's last JSON line, or one error naming the probe and its output's tail."""

from dataclasses import dataclass

import pytest

from dualpy.errors import BuildFailed, ContainerFailed
from dualpy.probes import probe_report


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str = ""


def test_the_last_line_is_the_report():
    assert probe_report(Run(0, 'progress\n{"a": 1}\n'), "the probe") == {"a": 1}
    assert probe_report(Run(0, "[1, 2]"), "the probe") == [1, 2]


def test_a_failed_probe_names_itself_its_exit_code_and_the_tail_of_its_stderr():
    with pytest.raises(ContainerFailed) as info:
        probe_report(Run(2, "", "a\nb\nc\nTraceback: boom\n"), "the verify probe under py in img")
    assert str(info.value) == "the verify probe under py in img failed (exit 2): b / c / Traceback: boom"


def test_no_json_last_line_is_no_report_and_the_error_class_can_be_chosen():
    with pytest.raises(BuildFailed, match="^the stress probe printed no report: not json$"):
        probe_report(Run(0, "not json"), "the stress probe", BuildFailed)
    with pytest.raises(ContainerFailed, match="printed no report: no output$"):
        probe_report(Run(0, ""), "the probe")


def test_a_long_tail_is_cut_with_an_ellipsis():
    with pytest.raises(ContainerFailed) as info:
        probe_report(Run(1, "", "x" * 1000), "p")
    assert str(info.value).endswith("…" + "x" * 300)
