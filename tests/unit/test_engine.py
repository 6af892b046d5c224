"""engine.py turns the SDK's answers into dataclasses and its failures into one-line errors (fake client)."""

from types import SimpleNamespace

import pytest

from dualpy import engine
from dualpy.engine import containers
from dualpy.errors import BuildFailed, EngineUnavailable, ImageNotFound


class FakeImages:
    def __init__(self, known):
        self.known = known

    def get(self, tag):
        import docker.errors

        if tag not in self.known:
            raise docker.errors.ImageNotFound(f"no {tag}")
        return SimpleNamespace(id="sha256:abc", attrs=self.known[tag])


class FakeApi:
    def history(self, tag):
        return [{"Id": "sha256:abc", "Created": 7, "CreatedBy": "/bin/sh -c #(nop) LABEL x=y", "Size": 12,
                 "Comment": "", "Tags": [tag]}, {"Id": "<missing>", "Created": 1, "CreatedBy": None, "Size": 0}]

    def build(self, **kwargs):
        yield {"stream": "Step 1/2 : FROM x\n"}
        yield {"stream": "\n"}
        yield {"aux": {"ID": "sha256:built"}}
        if kwargs["tag"] == "broken":
            yield {"error": "boom", "errorDetail": {"message": "RUN failed "}}


@pytest.fixture
def fake(monkeypatch):
    attrs = {"Id": "sha256:abc", "Size": 42, "Config": {"Labels": {"io.dualpy.suite": "bookworm"}},
             "RepoDigests": None}
    client = SimpleNamespace(images=FakeImages({"present:1": attrs}), api=FakeApi())
    monkeypatch.setattr(engine._client, "client", lambda: client)
    return client


def test_image_facts_and_absence(fake):
    facts = engine.image_facts("present:1")
    assert facts == engine.ImageFacts("present:1", "sha256:abc", 42, {"io.dualpy.suite": "bookworm"}, ())
    assert engine.image_exists("present:1") and not engine.image_exists("absent:1")
    with pytest.raises(ImageNotFound, match="dualpy images build"):
        engine.image_facts("absent:1")


def test_history_is_typed_layers(fake):
    layers = engine.image_history("present:1")
    assert layers[0] == engine.LayerHistory("sha256:abc", 7, "/bin/sh -c #(nop) LABEL x=y", 12, "", ("present:1",))
    assert layers[1].created_by == "" and layers[1].tags == ()
    assert layers[0].to_json()["created_by"].endswith("x=y")


def test_build_streams_lines_and_returns_the_id(fake, tmp_path):
    lines = []
    assert engine.build(tmp_path, "ok", lines.append) == "sha256:built"
    assert lines == ["Step 1/2 : FROM x"]
    with pytest.raises(BuildFailed, match="image build failed: RUN failed$"):
        engine.build(tmp_path, "broken", lines.append)


def test_mounts_and_older_volumes_make_one_binding():
    bound = containers._volumes([engine.Mount("/h/w", "/w"), engine.Mount("/h/o", "/o", read_only=False)],
                            {"/h/c": {"bind": "/c", "mode": "ro"}})
    assert bound == {"/h/c": {"bind": "/c", "mode": "ro"}, "/h/w": {"bind": "/w", "mode": "ro"},
                     "/h/o": {"bind": "/o", "mode": "rw"}}


def test_remove_containers_is_quiet_without_an_engine(monkeypatch):
    def down():
        raise EngineUnavailable("no Docker engine answers")

    monkeypatch.setattr(engine._client, "client", down)
    assert engine.remove_containers("io.dualpy.wheels-run=x") == ()


class FakeContainers:
    """An engine that is still finishing work when the clean-up starts: one container is being removed by its
    owner, another appears only after the first listing (its creation was in flight)."""

    def __init__(self):
        self.present = {"a": "removing"}
        self.listings = 0
        self.removed = []

    def list(self, all, filters):
        assert all and filters == {"label": "io.dualpy.wheels-run=x"}  # stopped containers count too
        self.listings += 1
        if self.listings == 3:
            self.present.pop("a", None)  # its owner's removal finished
        if self.listings == 4:
            self.present["b"] = "created"  # a create whose client was killed mid-request
        return [SimpleNamespace(id=i, name=f"cibuildwheel-{i}", status=s, labels={}) for i, s in self.present.items()]

    def get(self, container_id):
        def remove(force):
            assert self.present[container_id] != "removing"  # the engine would answer 409
            self.removed.append(container_id)
            del self.present[container_id]

        return SimpleNamespace(remove=remove)


def test_remove_containers_waits_for_removals_and_late_creations(monkeypatch):
    containers_api = FakeContainers()
    monkeypatch.setattr(engine._client, "client", lambda: SimpleNamespace(containers=containers_api))
    monkeypatch.setattr(containers, "REMOVAL_POLL_SECONDS", 0)
    assert engine.remove_containers("io.dualpy.wheels-run=x") == ()
    assert containers_api.removed == ["b"] and containers_api.present == {}


def test_remove_containers_names_what_outlived_the_timeout(monkeypatch):
    containers_api = FakeContainers()
    containers_api.listings = -1000  # the owner's removal never finishes
    monkeypatch.setattr(engine._client, "client", lambda: SimpleNamespace(containers=containers_api))
    monkeypatch.setattr(containers, "REMOVAL_POLL_SECONDS", 0)
    left = engine.remove_containers("io.dualpy.wheels-run=x", timeout=0.05)
    assert [(c.name, c.status) for c in left] == [("cibuildwheel-a", "removing")]
