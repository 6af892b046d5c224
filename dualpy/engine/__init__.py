"""The only code that knows the docker SDK: typed functions in, dataclasses out, one-line errors.

Read in this order: _client.py (the connection and its errors; private to this package), images.py (local
images: facts, history, build, import), containers.py (run a command, find and remove containers),
transfer.py (registries and archives).
Every other module calls the functions re-exported here and never sees an SDK object.
"""

from __future__ import annotations

from dualpy.engine._client import ENGINE_FIX, client, engine_version, ensure_running
from dualpy.engine.containers import (
    ContainerFacts,
    Mount,
    RunResult,
    list_containers,
    remove_containers,
    run,
)
from dualpy.engine.images import (
    ImageFacts,
    LayerHistory,
    build,
    image_exists,
    image_facts,
    image_history,
    import_rootfs,
    pull,
)
from dualpy.engine.transfer import (
    load_image,
    pull_image,
    push_image,
    registry_credentials,
    remove_image,
    save_image,
    tag_image,
)

__all__ = [
    "ENGINE_FIX", "ContainerFacts", "ImageFacts", "LayerHistory", "Mount", "RunResult", "build", "client",
    "engine_version", "ensure_running", "image_exists", "image_facts", "image_history", "import_rootfs",
    "list_containers", "load_image", "pull", "pull_image", "push_image", "registry_credentials",
    "remove_containers", "remove_image", "run", "save_image", "tag_image",
]
