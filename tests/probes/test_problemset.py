"""The problem-set spec: published problems from a local copy or the hub, problem files, a deterministic subset."""

import json
import sys
import types

import pytest

from mathcamps.io import read_problems, write_problems
from probes.problemset import HUB_DATASET, ProblemSet, ProblemSetError, parse_problem_set, subset
from tests.reference import reference_dir

STANDARDS = ["K.OA.A.5", "3.OA.A.3"]


@pytest.fixture(scope="module")
def release():
    return reference_dir() / "mathcamps-v1"


def test_published_subset_from_the_folder_and_the_flat_file_is_the_same_and_deterministic(release):
    folder = ProblemSet("published", path=str(release), standards=STANDARDS, per_standard=5, seed=0).load()
    flat = ProblemSet("published", path=str(release / "mathcamps.json"), standards=STANDARDS, per_standard=5,
                      seed=0).load()
    assert [p.id for p in folder] == [p.id for p in flat]
    originals = [p for p in folder if not p.is_followup]
    assert [sum(p.standard == s for p in originals) for s in STANDARDS] == [5, 5]
    assert folder[0].structure is not None  # the per-standard files carry the symbolic structures
    # Every follow-up comes right after its original, and every follow-up of a chosen original comes.
    everything = read_problems(release / "mathcamps.json")
    chosen = {p.id for p in originals}
    assert {p.id for p in folder if p.is_followup} == {p.id for p in everything if p.followup_to in chosen}
    last_original = None
    for p in folder:
        if p.is_followup:
            assert p.followup_to == last_original
        else:
            last_original = p.id
    assert [p.id for p in ProblemSet("published", path=str(release), standards=STANDARDS, per_standard=5,
                                     seed=0).load()] == [p.id for p in folder]
    other = ProblemSet("published", path=str(release), standards=STANDARDS, per_standard=5, seed=1).load()
    assert {p.id for p in other} != {p.id for p in folder}
    # A standard's draw does not depend on which other standards are asked for.
    alone = ProblemSet("published", path=str(release), standards=["3.OA.A.3"], per_standard=5, seed=0).load()
    assert [p.id for p in alone] == [p.id for p in folder if p.standard == "3.OA.A.3"]


def test_without_a_path_the_hub_dataset_is_read(monkeypatch, release):
    rows = json.loads((release / "mathcamps.json").read_text())
    asked = []

    def load_dataset(name):
        asked.append(name)
        return {"train": rows}

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    hub = ProblemSet("published", standards=STANDARDS, per_standard=3, seed=0, followups=False).load()
    assert asked == [HUB_DATASET] == ["mathcamps/mathcamps"]
    local = ProblemSet("published", path=str(release / "mathcamps.json"), standards=STANDARDS, per_standard=3,
                       seed=0, followups=False).load()
    assert [p.id for p in hub] == [p.id for p in local] and not any(p.is_followup for p in hub)


def test_a_problem_file_is_a_source_and_generated_sets_still_work(tmp_path):
    generated = ProblemSet("generated", standards=["K.CC.C.7"], per_standard=4, seed=3).load()
    path = tmp_path / "mine.jsonl"
    write_problems(generated, path)
    assert [p.id for p in ProblemSet(str(path), per_standard=None).load()] == [p.id for p in generated]
    two = ProblemSet(str(path), per_standard=2, seed=0, followups=False).load()
    assert len(two) == 2 and {p.id for p in two} <= {p.id for p in generated}


@pytest.mark.parametrize("spec, message", [
    ({"source": "generated"}, "problems.standards must name at least one standard"),
    ({"source": "generated", "standards": ["K.CC.C.7"], "per_standard": 0}, "problems.per_standard must be >= 1"),
    ({"source": "no-such-file.jsonl"}, "got 'no-such-file.jsonl' \\(no such file\\)"),
    ({"source": "generated", "standards": ["K.CC.C.7"], "path": "x"}, "problems.path is for source: published"),
])
def test_bad_specs_name_the_key_and_value(spec, message):
    with pytest.raises(ProblemSetError, match=message):
        ProblemSet(**spec).load()


def test_subset_names_missing_standards_and_short_pools(release):
    problems = read_problems(release / "K.OA.A.5.json")
    with pytest.raises(ProblemSetError, match=r"\['1.OA.A.1'\] not in the source"):
        subset(problems, ["1.OA.A.1"], 2, 0)
    with pytest.raises(ProblemSetError, match="per_standard=500, but K.OA.A.5 has only 100 originals"):
        subset(problems, ["K.OA.A.5"], 500, 0)


def test_the_spec_parses_from_yaml_text_and_refuses_unknown_keys(tmp_path):
    spec = parse_problem_set("{source: published, path: data/x, standards: [K.OA.A.5], per_standard: 20, seed: 0}")
    assert spec == ProblemSet("published", "data/x", ["K.OA.A.5"], 20, 0)
    block = tmp_path / "probe.yaml"
    block.write_text("problems:\n  source: generated\n  standards: [K.CC.C.7]\n  per_standard: 2\n")
    assert parse_problem_set(str(block)).standards == ["K.CC.C.7"]
    with pytest.raises(ProblemSetError, match=r"unknown key\(s\) \['per_standrd'\]"):
        parse_problem_set({"source": "generated", "standards": ["K.CC.C.7"], "per_standrd": 3})
