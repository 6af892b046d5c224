"""An image's build context: its text rendered from images/ templates (pure), then written to a directory."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

from dualpy import launcher
from dualpy.images.spec import ImageSpec
from dualpy.paths import data_dir


def _label_instruction(labels: Mapping[str, str]) -> str:
    lines = [f"    {key}={json.dumps(value)}" for key, value in labels.items()]
    return "LABEL \\\n" + " \\\n".join(lines)


def _finalize_order(spec: ImageSpec) -> list[str]:
    """finalize.sh's arguments: the default interpreter first (it also runs the tools), then the others."""
    default = spec.default_target
    ordered = [default, *(t for t in spec.targets if t != default)]
    return [f"{t.install_tag}:{t.executable_name}" for t in ordered]


def _gcc_stages(spec: ImageSpec, templates: Path) -> list[str]:
    """A source stage per release and a builder stage per interpreter, on the gcc toolchain."""
    source_stage = Template((templates / "stage-source.template").read_text())
    build_stage = Template((templates / "stage-build.template").read_text())
    stages = []
    for python in spec.pythons:
        interpreter_tag = f"cp{python.recipe.minor.nodot}"
        stages.append(source_stage.substitute(interpreter_tag=interpreter_tag, source_file=python.release.filename))
        for variant in spec.variants:
            target = python.recipe.target(variant)
            stages.append(build_stage.substitute(
                interpreter_tag=interpreter_tag,
                install_tag=target.install_tag,
                source_file=python.release.filename,
                prefix=target.prefix,
                configure_flags=" ".join(spec.configure_flags(target)),
            ))
    return stages


def _clang_stages(spec: ImageSpec, templates: Path) -> list[str]:
    """A clang toolchain stage, then a builder stage per interpreter that also points its sysconfig at gcc."""
    toolchain = Template((templates / "stage-toolchain-clang.template").read_text())
    build_stage = Template((templates / "stage-build-clang.template").read_text())
    stages = [toolchain.substitute(clang_packages=" ".join(spec.suite.clang_packages))]
    for target in spec.targets:
        python = spec.python_of(target)
        stages.append(build_stage.substitute(
            install_tag=target.install_tag,
            source_file=python.release.filename,
            prefix=target.prefix,
            executable=target.executable_name,
            configure_flags=" ".join(spec.configure_flags(target)),
        ))
    return stages


def render_dockerfile(spec: ImageSpec, templates: Path | None = None) -> str:
    """Return the Dockerfile for an image spec (pure: same spec, same text)."""
    templates = templates or data_dir("images")
    main = Template((templates / "Dockerfile.template").read_text())
    final_stage = Template((templates / f"stage-{spec.target}.template").read_text())
    stages = _clang_stages(spec, templates) if spec.compiler == "clang" else _gcc_stages(spec, templates)
    copy_builds = "\n".join(f"COPY --from=build-{t.install_tag} {t.prefix} {t.prefix}" for t in spec.targets)
    return main.substitute(
        base=spec.base,
        build_packages=" ".join(spec.suite.build_packages),
        build_stages="".join(stages),
        copy_builds=copy_builds,
        install_tags=" ".join(_finalize_order(spec)),
        final_stage=final_stage.substitute(
            base=spec.base,
            runtime_packages=" ".join(spec.suite.runtime_packages),
            slim_packages=" ".join(spec.suite.slim_packages),
            labels=_label_instruction(spec.labels()),
        ),
    )


def render_launcher_config(spec: ImageSpec) -> str:
    """The launcher configuration: every interpreter of the image, the default build and the default minor."""
    interpreters = {t.request: f"{t.prefix}/bin/{t.executable_name}" for t in spec.targets}
    # The spec knows which releases are pre-releases (the launcher only sees minors): it names the default minor.
    return launcher.render_config(interpreters, spec.default_variant, str(spec.default_python.recipe.minor))


@dataclass(frozen=True)
class RenderedContext:
    """The generated text files of a build context, by path relative to the context root."""

    files: Mapping[str, str]


def render_context_files(spec: ImageSpec, templates: Path | None = None) -> RenderedContext:
    """The generated files of a build context (pure): Dockerfile, launcher configuration and compile flags."""
    return RenderedContext({
        "Dockerfile": render_dockerfile(spec, templates),
        "launcher/dualpy-launcher.conf": render_launcher_config(spec),
        "launcher/compile-flags": " ".join(launcher.COMPILE_FLAGS) + "\n",
    })


def _link_or_copy(source: Path, destination: Path) -> None:
    if source.stat().st_dev == destination.parent.stat().st_dev:
        os.link(source, destination)  # ~23 MB per tarball and per build context: a link, not a copy
    else:
        shutil.copyfile(source, destination)


def write_context(
    spec: ImageSpec, tarballs: Mapping[str, Path], wheel_dirs: Sequence[Path], destination: Path
) -> Path:
    """Write a complete build context (generated files, scripts, sources, wheels, launcher) into destination.

    tarballs maps each release version of the spec to its verified source tarball; wheel_dirs (one per minor)
    are merged into one wheels/ folder, a file name present in several being the same wheel.
    """
    templates = data_dir("images")
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copytree(templates / "scripts", destination / "scripts")
    (destination / "sources").mkdir()
    for python in spec.pythons:
        _link_or_copy(tarballs[python.version], destination / "sources" / python.release.filename)
    (destination / "wheels").mkdir()
    for directory in wheel_dirs:
        for wheel in sorted(directory.iterdir()):
            if not (destination / "wheels" / wheel.name).exists():
                shutil.copyfile(wheel, destination / "wheels" / wheel.name)
    (destination / "launcher").mkdir()
    shutil.copyfile(launcher.source_path(), destination / "launcher" / "launcher.c")
    for relative, text in render_context_files(spec, templates).files.items():
        (destination / relative).write_text(text)
    return destination
