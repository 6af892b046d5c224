"""What a `wheels build` asks for, gathered once: the one value build_wheels and print_config both take."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dualpy.errors import UsageError
from dualpy.images import PythonRelease
from dualpy.pipconfig import PipSettings
from dualpy.tags import ALL_VARIANTS, Variant
from dualpy.wheels.floor import DEFAULT_FLOOR, Floor, parse_floor


@dataclass(frozen=True)
class WheelsRequest:
    """The wheels of one project for some Pythons and variants, built in one kind of container."""

    project: Path
    pythons: tuple[PythonRelease, ...]
    image: str | None = None  # None: one dualpy image holding every requested release (default_tag_for)
    manylinux: bool = False  # cibuildwheel's own manylinux images instead of a dualpy image (--manylinux-image)
    variants: tuple[Variant, ...] = ALL_VARIANTS
    output_dir: Path = Path("wheelhouse")
    test_command: str | None = None  # replaces the project's test-command when set
    pip_settings: PipSettings | None = None  # None: the host's pip settings
    jobs: int | None = None  # cibuildwheel processes side by side per release; None: default_jobs()
    write_manifest: bool = True
    floor: Floor = field(default_factory=lambda: parse_floor(DEFAULT_FLOOR))  # --manylinux: the glibc promised
    system_packages: tuple[str, ...] = ()  # --system-packages: Debian packages the build needs
    keep_built: bool = False  # a failed build returns the wheels that did build (BuildResult.errors), not raises

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs {self.jobs}: give 1 (one cibuildwheel process) or more")
