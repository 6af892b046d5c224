"""Build the normal and the free-threaded wheels of a project by driving cibuildwheel (not reimplementing it).

Read in the order data flows: request (what was asked) -> project (what PROJECT is) -> plan (which
cibuildwheel runs) -> options (the settings of each) -> runner (the processes) -> manifest (what each wheel
serves) -> build (the orchestration, all or nothing); pure builds the py3-none-any fallback.
"""

from __future__ import annotations

from dualpy.wheels.build import BuildResult, build_wheels, print_config
from dualpy.wheels.manifest import MANIFEST_NAME, WheelRecord, describe_wheel, write_manifest
from dualpy.wheels.options import bash_word, cibuildwheel_environment, describe_config, process_environment
from dualpy.wheels.plan import BuildPlan, default_jobs, plan_builds, split_plan
from dualpy.wheels.project import Project, load_project
from dualpy.wheels.request import WheelsRequest

__all__ = [
    "MANIFEST_NAME", "BuildPlan", "BuildResult", "Project", "WheelRecord", "WheelsRequest", "bash_word",
    "build_wheels", "cibuildwheel_environment", "default_jobs", "describe_config",
    "describe_wheel", "load_project", "plan_builds", "print_config", "process_environment", "split_plan",
    "write_manifest",
]
