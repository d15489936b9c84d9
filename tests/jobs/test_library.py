"""The strategy library read from YAML: one or several strategies a file, faults named with the file and key."""

import pytest

from creator_governance.jobs.library import LibraryError, load_library

ONE = ("id: spam_burst\nowner: t&s\ndescription: bursts\ntarget: account\ncondition: posts_1d >= 20\n"
       "action: limit\nseverity: 3\nversion: 1\nstatus: active\n")


def test_the_shipped_library_loads_sorted_with_each_file_named():
    library = load_library()
    assert library and [s.id for s in library] == sorted(s.id for s in library)
    assert all(s.source.endswith(".yaml") for s in library)


def test_one_mapping_or_a_list_under_strategies(tmp_path):
    (tmp_path / "a.yaml").write_text(ONE)
    (tmp_path / "b.yaml").write_text("strategies:\n  - " + ONE.replace("spam_burst", "farm").replace("\n", "\n    ")
                                     .rstrip() + "\n")
    assert [s.id for s in load_library(tmp_path)] == ["farm", "spam_burst"]


def test_a_typo_a_bad_value_and_a_duplicate_name_the_file_and_the_key(tmp_path):
    (tmp_path / "a.yaml").write_text(ONE.replace("severity: 3", "severty: 3"))
    with pytest.raises(LibraryError, match=r"strategy 'spam_burst' \(.*a\.yaml\): .*severty: unknown key"):
        load_library(tmp_path)
    (tmp_path / "a.yaml").write_text(ONE.replace("action: limit", "action: jail"))
    with pytest.raises(LibraryError, match=r"a\.yaml\): action: "):
        load_library(tmp_path)
    (tmp_path / "a.yaml").write_text(ONE)
    (tmp_path / "b.yaml").write_text(ONE)
    with pytest.raises(LibraryError, match=r"'spam_burst' is defined twice: .*a\.yaml and .*b\.yaml"):
        load_library(tmp_path)
