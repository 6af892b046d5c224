"""Import one module in this fresh interpreter and print one JSON line: ok or the error, and the GIL state after.

Run as: python -c SOURCE MODULE. The verify and readiness probes get SOURCE in their request and start one
interpreter per module: a module imported after another cannot be told apart from it, and the GIL state read
after each import names the module that re-enabled it.
"""

import importlib
import json
import re
import sys
import traceback
import warnings

module = sys.argv[1]
result: dict[str, object] = {"ok": True}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        importlib.import_module(module)
    except BaseException as exc:  # SystemExit and the like are the module's failure too
        result = {"ok": False, "error": traceback.format_exception_only(type(exc), exc)[-1].strip()}
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            result["missing"] = exc.name
reenabled = []
for warning in caught:
    text = str(warning.message)
    if "GIL" in text and "enabled" in text:
        found = re.search(r"load module '([^']+)'", text)
        reenabled.append(found.group(1) if found else module)
result["gil_enabled"] = getattr(sys, "_is_gil_enabled", lambda: True)()
result["gil_reenabled_by"] = reenabled
print(json.dumps(result))
