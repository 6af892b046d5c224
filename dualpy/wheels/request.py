"""What a `wheels build` asks for, gathered once: the one value build_wheels and print_config both take."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dualpy.errors import UsageError
from dualpy.pipconfig import PipSettings
from dualpy.tags import ALL_VARIANTS, Variant
from dualpy.wheels.floor import DEFAULT_FLOOR, Floor, parse_floor


def split_pythons(values: Iterable[str]) -> tuple[str, ...]:
    """The Pythons of repeated and comma-separated --python values ('3.13,3.14' '3.15'), in order, once each."""
    names = (part.strip() for value in values for part in value.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True)
class WheelsRequest:
    """The wheels of one project for some Pythons and variants, built in one kind of container."""

    project: Path
    pythons: tuple[str, ...]
    image: str | None = None  # None: the dualpy image of each Python's latest recipe release
    manylinux: bool = False  # cibuildwheel's own manylinux images instead of a dualpy image (--manylinux-image)
    variants: tuple[Variant, ...] = ALL_VARIANTS
    output_dir: Path = Path("wheelhouse")
    test_command: str | None = None  # replaces the project's test-command when set
    pip_settings: PipSettings | None = None  # None: the host's pip settings
    jobs: int | None = None  # cibuildwheel processes side by side per release; None: default_jobs()
    write_manifest: bool = True
    floor: Floor = field(default_factory=lambda: parse_floor(DEFAULT_FLOOR))  # --manylinux: the glibc promised

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs {self.jobs}: give 1 (one cibuildwheel process) or more")
