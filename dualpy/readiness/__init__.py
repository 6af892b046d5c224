"""Free-threading readiness of a dependency list: is every package ready for the free-threaded build?

Read in the order data flows: inputs.py (requirements files, pyproject.toml, pylock.toml, uv.lock -> requirements;
pure) -> run.py (one container: the probe dualpy/probes/readiness_run.py resolves, builds, installs and imports) ->
judge.py (facts -> one row per distribution and a verdict; pure) -> report.py (terminal table, Markdown).
"""
