"""The Dockerfile is a pure function of the image spec; the rendered text is pinned to saved files."""

import os
from pathlib import Path

import pytest

from dualpy import images, launcher
from dualpy.errors import UsageError
from dualpy.images.suites import find_suite
from dualpy.sources.recipes import find_release
from dualpy.tags import ALL_VARIANTS, Variant

DATA = Path(__file__).parent.parent / "data"


def spec(variants=ALL_VARIANTS, profile="fast", version="3.13.15", suite="bookworm", target="full", compiler="gcc"):
    pythons = tuple(images.PythonRelease(*find_release(v)) for v in version.split(","))
    return images.ImageSpec(pythons, variants, profile, f"dualpy/debian:{suite}", find_suite(suite), target=target,
                            compiler=compiler)


@pytest.mark.parametrize(
    ("name", "image_spec"),
    [
        ("Dockerfile.3.13.15-dual", spec()),
        ("Dockerfile.3.13.15-gil-release", spec((Variant.GIL,), "release")),
        ("Dockerfile.3.14.6-dual-bullseye", spec(version="3.14.6", suite="bullseye")),
        ("Dockerfile.3.14.6-dual-trixie", spec(version="3.14.6", suite="trixie")),
        ("Dockerfile.3.13.15-3.14.6-dual", spec(version="3.13.15,3.14.6")),
        ("Dockerfile.3.13.15-dual-runtime", spec(target="runtime")),
        ("Dockerfile.3.13.15-gil-runtime", spec((Variant.GIL,), target="runtime")),
        ("Dockerfile.3.13.15-3.14.6-dual-clang-release", spec(version="3.13.15,3.14.6", profile="release",
                                                              compiler="clang")),
    ],
)
def test_rendered_dockerfile_matches_saved(name, image_spec, monkeypatch):
    monkeypatch.setattr("dualpy.images.spec.__version__", "0.0.test")
    rendered = images.render_dockerfile(image_spec)
    expected_path = DATA / name
    if os.environ.get("DUALPY_REGENERATE"):
        expected_path.write_text(rendered)
    assert rendered == expected_path.read_text(), "re-render with DUALPY_REGENERATE=1 and review the diff"


def test_one_builder_stage_per_variant_and_one_opt_python_copy():
    text = images.render_dockerfile(spec())
    assert text.count("AS build-") == 2
    assert "build-cp313-cp313t" in text and "--disable-gil" in text
    assert text.count("COPY --from=assemble /opt/python /opt/python") == 1
    single = images.render_dockerfile(spec((Variant.FREETHREADED,)))
    assert single.count("AS build-") == 1 and "build-cp313-cp313 " not in single


def test_labels_record_version_checksum_variants_and_flags():
    labels = spec().labels()
    assert labels["io.dualpy.cpython.version"] == "3.13.15"
    assert labels["io.dualpy.cpython.sha256"].startswith("1e66a794")
    assert labels["io.dualpy.variants"] == "gil,freethreaded"
    assert "--disable-gil" in labels["io.dualpy.configure.freethreaded"]
    assert "--disable-gil" not in labels["io.dualpy.configure.gil"]
    assert labels["io.dualpy.base"] == "dualpy/debian:bookworm"


def test_release_profile_reaches_configure():
    text = images.render_dockerfile(spec(profile="release"))
    runs = [line for line in text.splitlines() if line.startswith("RUN /dualpy/build/build-cpython.sh")]
    assert len(runs) == 2 and all(line.endswith("--enable-optimizations --with-lto") for line in runs)


def test_no_certificate_or_pip_config_enters_the_context_template():
    text = images.render_dockerfile(spec())
    for needle in ("ca-certificates", ".crt", "PIP_CERT", "pip.conf", "SSL_CERT_FILE"):
        assert needle not in text


def test_manylinux_platforms_cover_older_glibc_tags():
    platforms = images.manylinux_platforms("x86_64", 36)
    assert platforms[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_5_x86_64" in platforms and "manylinux2014_x86_64" in platforms


@pytest.mark.parametrize(("suite", "names"), [
    ("bullseye", ("libssl1.1", "libffi7", "libreadline8", "libgdbm6")),
    ("bookworm", ("libssl3", "libffi8", "libreadline8", "libgdbm6")),
    ("trixie", ("libssl3t64", "libffi8", "libreadline8t64", "libgdbm6t64", "libgdbm-compat4t64")),
])
def test_each_suite_renders_its_base_and_its_own_package_names(suite, names):
    text = images.render_dockerfile(spec(version="3.14.6", suite=suite))
    assert text.count(f"FROM dualpy/debian:{suite}") == 2
    runtime = [line for line in text.splitlines() if "install -y" in line][-1].split()
    assert all(name in runtime for name in names)
    assert f'io.dualpy.suite="{suite}"' in text


def builder_chain(text, install_tag):
    """The instructions (stage names dropped) a builder stage's layers are made of, from the base on."""
    stages, current = {}, None
    for line in text.splitlines():
        if line.startswith("FROM "):
            words = line.split()
            current = words[3] if len(words) > 3 else "final"
            stages[current] = {"parent": words[1], "lines": []}
        elif current and line and not line.startswith("#"):
            stages[current]["lines"].append(line)
    chain, stage = [], f"build-{install_tag}"
    while stage in stages:
        chain = stages[stage]["lines"] + chain
        stage = stages[stage]["parent"]
    return [stage, *chain]


def test_multi_python_builder_stages_share_the_single_python_layer_chain():
    multi = images.render_dockerfile(spec(version="3.13.15,3.14.6"))
    assert multi.count("AS build-") == 4
    for version, install_tag in (("3.13.15", "cp313-cp313"), ("3.13.15", "cp313-cp313t"),
                                 ("3.14.6", "cp314-cp314t")):
        single = images.render_dockerfile(spec(version=version))
        assert builder_chain(multi, install_tag) == builder_chain(single, install_tag)


def test_multi_python_image_runs_the_newest_final_gil_build_by_default():
    multi = spec(version="3.13.15,3.14.6")
    assert multi.default_target.request == "3.14"
    text = images.render_dockerfile(multi)
    assert "RUN /dualpy/build/finalize.sh cp314-cp314:python3.14 cp313-cp313:python3.13 " in text
    config = images.render_launcher_config(multi)
    interpreters, default = launcher.parse_config(config)
    assert default is Variant.GIL and "default-version 3.14" in config
    assert set(interpreters) == {"3.13", "3.13t", "3.14", "3.14t"}


def test_one_python_launcher_config_names_its_two_builds():
    config = images.render_launcher_config(spec())
    assert "default-version 3.13" in config
    assert launcher.parse_config(config) == ({"3.13": "/opt/python/cp313-cp313/bin/python3.13",
                                              "3.13t": "/opt/python/cp313-cp313t/bin/python3.13t"}, Variant.GIL)


def test_context_files_are_rendered_before_anything_is_written():
    files = images.render_context_files(spec()).files
    assert set(files) == {"Dockerfile", "launcher/dualpy-launcher.conf", "launcher/compile-flags"}
    assert files["launcher/compile-flags"].split() == list(launcher.COMPILE_FLAGS)


def test_write_context_links_each_source_and_merges_the_wheel_folders(tmp_path):
    image_spec = spec(version="3.13.15,3.14.6")
    tarballs = {}
    for python in image_spec.pythons:
        tarballs[python.version] = tmp_path / python.release.filename
        tarballs[python.version].write_bytes(python.version.encode())
    wheel_dirs = []
    for minor in ("313", "314"):
        folder = tmp_path / f"wheels-{minor}"
        folder.mkdir()
        (folder / "packaging-26.1-py3-none-any.whl").write_text("same")
        (folder / f"only-{minor}.whl").write_text(minor)
        wheel_dirs.append(folder)
    context = images.write_context(image_spec, tarballs, wheel_dirs, tmp_path / "context")
    assert sorted(p.name for p in (context / "sources").iterdir()) == ["Python-3.13.15.tar.xz", "Python-3.14.6.tar.xz"]
    assert sorted(p.name for p in (context / "wheels").iterdir()) == [
        "only-313.whl", "only-314.whl", "packaging-26.1-py3-none-any.whl"]
    assert (context / "Dockerfile").read_text() == images.render_dockerfile(image_spec)
    assert (context / "launcher" / "launcher.c").is_file()
    assert (context / "scripts" / "dedupe.py").is_file()


def test_runtime_target_reuses_the_builder_stages_and_ends_without_a_compiler():
    full, runtime = images.render_dockerfile(spec()), images.render_dockerfile(spec(target="runtime"))
    # Everything up to the assemble stage is the same text, so the runtime build takes it from the layer cache.
    shared = full[:full.index("FROM dualpy/debian:bookworm\n")]
    assert runtime.startswith(shared)
    final = runtime[runtime.index("FROM scratch"):]
    assert "COPY --from=runtime-root / /" in final and 'io.dualpy.target="runtime"' in final
    slim = runtime[runtime.index("AS runtime-root"):runtime.index("FROM scratch")]
    assert "libssl3" in slim
    for tool in (" gcc ", " g++ ", " make ", "libc6-dev", "-dev "):
        assert tool not in slim
    for needle in (".crt", "PIP_CERT", "pip.conf", "SSL_CERT_FILE"):  # Debian's ca-certificates, not the host's CA
        assert needle not in runtime


def test_runtime_tag_and_unknown_target():
    release = find_release("3.13.15")[1]
    assert images.default_tag_for([release], "runtime") == "dualpy/cpython:3.13.15-runtime"
    assert images.default_tag_for([release]) == "dualpy/cpython:3.13.15"
    with pytest.raises(UsageError, match="--target"):
        spec(target="tiny")


def _builder_stages(text):
    """The Dockerfile up to the assemble stage: what the layer cache of the interpreters' builds depends on."""
    return text.split("FROM toolchain AS assemble")[0]


def test_gcc_builder_stages_are_the_ones_every_cached_image_was_built_from():
    """--compiler gcc (the default) renders builder stages without a trace of the compiler option."""
    for profile in ("fast", "release"):
        text = _builder_stages(images.render_dockerfile(spec(version="3.13.15,3.14.6", profile=profile)))
        assert "clang" not in text and "CC=" not in text and "gcc-sysconfig" not in text
        assert text.count("FROM toolchain AS source-") == 2 and text.count("AS build-") == 4


def test_clang_builds_on_a_clang_toolchain_and_points_sysconfig_at_gcc():
    text = images.render_dockerfile(spec(version="3.13.15,3.14.6", profile="release", compiler="clang"))
    stages = _builder_stages(text)
    assert "FROM toolchain AS toolchain-clang" in stages
    assert "apt-get install -y --no-install-recommends clang-19 llvm-19 lld-19 libclang-rt-19-dev" in stages
    assert stages.count("FROM toolchain-clang AS build-") == 4 and "AS source-" not in stages
    assert stages.count("CC=clang-19 CXX=clang++-19 LLVM_AR=/usr/bin/llvm-ar-19 "
                        "LLVM_PROFDATA=/usr/bin/llvm-profdata-19 LDFLAGS_NODIST=-fuse-ld=lld") == 4
    assert stages.count("/bin/python3.14t -I -B /dualpy/build/gcc-sysconfig.py /opt/python/cp314-cp314t") == 1
    assert stages.count("gcc-sysconfig.py /opt/python/") == 4
    assert "--enable-optimizations --with-lto" in stages


def test_the_tail_calling_interpreter_comes_with_clang_from_314_on():
    clang = spec(version="3.13.15,3.14.6", compiler="clang")
    flags = {t.request: clang.configure_flags(t) for t in clang.targets}
    assert all("--with-tail-call-interp" in flags[r] for r in ("3.14", "3.14t"))
    assert not any("--with-tail-call-interp" in flags[r] for r in ("3.13", "3.13t"))
    gcc = spec(version="3.14.6")
    assert not any("--with-tail-call-interp" in gcc.configure_flags(t) for t in gcc.targets)


def test_compiler_labels_name_the_compiler_and_its_flags():
    assert spec().labels()["io.dualpy.compiler"] == "gcc"
    labels = spec(version="3.14.6", profile="release", compiler="clang").labels()
    assert labels["io.dualpy.compiler"] == "clang-19"
    assert "CC=clang-19" in labels["io.dualpy.configure.gil"]
    assert "--with-tail-call-interp" in labels["io.dualpy.configure.freethreaded"]


def test_clang_needs_a_suite_that_carries_it():
    with pytest.raises(UsageError, match="suite bullseye lists no clang-packages.*--suite bookworm or trixie"):
        spec(version="3.14.6", suite="bullseye", compiler="clang")
    assert spec(version="3.14.6", suite="trixie", compiler="clang").compiler_name == "clang-19"


def test_an_unknown_compiler_is_refused_with_the_known_ones():
    with pytest.raises(UsageError, match="--compiler 'icc' is unknown: pick one of gcc, clang"):
        spec(compiler="icc")
