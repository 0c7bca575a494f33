import pytest

from shared.districts import (
    EXPECTED_DISTRICTS,
    SizeGroupFileError,
    default_registry,
    load_registry,
    parse_size_groups_csv,
    size_group_by_subdistricts,
)


def test_registry_holds_the_878_programme_districts_and_no_bangkok_khet():
    registry = default_registry()
    assert len(registry) == EXPECTED_DISTRICTS == 878
    assert not any(d.province_code == "10" for d in registry)
    assert "1001" not in registry  # Phra Nakhon khet
    assert all(len(d.code) == 4 and d.code.isdigit() for d in registry)


@pytest.mark.parametrize(("code", "name", "group"), [
    ("3706", "Hua Taphan", "small"),
    ("4408", "Phayakkhaphum Phisai", "medium"),
    ("4712", "Sawang Daen Din", "large"),
])
def test_2021_award_winners_sit_in_the_groups_dopa_placed_them(code, name, group):
    district = default_registry().get(code)
    assert district.name_en == name
    assert district.size_group == group


def test_size_rule_boundaries():
    assert [size_group_by_subdistricts(n) for n in (1, 8, 9, 14, 15, 40)] == [
        "small", "small", "medium", "medium", "large", "large"]


def _csv(rows):
    return "district_code,size_group\n" + "".join(f"{c},{g}\n" for c, g in rows)


def test_official_csv_replaces_the_default_rule(tmp_path):
    registry = default_registry()
    rows = [(d.code, "large" if d.code == "3706" else d.size_group) for d in registry]
    path = tmp_path / "sizes.csv"
    path.write_text(_csv(rows))
    assert load_registry(path).get("3706").size_group == "large"
    assert default_registry().get("3706").size_group == "small"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda rows: [*rows, ("1001", "small")], "unknown district code '1001'"),
    (lambda rows: rows[1:], "1 districts are missing"),
    (lambda rows: [(c, "huge" if i == 0 else g) for i, (c, g) in enumerate(rows)], "'huge' is not one of"),
    (lambda rows: [*rows, rows[0]], "appears twice"),
])
def test_bad_csv_is_refused_whole_with_a_clear_message(mutate, message):
    registry = default_registry()
    rows = [(d.code, d.size_group) for d in registry]
    with pytest.raises(SizeGroupFileError, match=message):
        parse_size_groups_csv(_csv(mutate(rows)), registry.codes())


def test_csv_with_wrong_header_is_refused():
    with pytest.raises(SizeGroupFileError, match="header"):
        parse_size_groups_csv("code,group\n3706,small\n", default_registry().codes())


def test_memoised_partitioner_places_keys_exactly_like_kafkas_default():
    from kafka.partitioner.default import DefaultPartitioner

    from shared.kafka import MemoisedPartitioner

    class Cluster:
        def topics(self):
            return {"t"}

        def partitions_for_topic(self, _topic):
            return set(range(12))

        def available_partitions_for_topic(self, _topic):
            return set(range(12))

    codes = [d.code.encode() for d in default_registry()]
    ours = [MemoisedPartitioner().partition("t", None, c, None, None, Cluster()) for c in codes]
    kafkas = [DefaultPartitioner().partition("t", None, c, None, None, Cluster()) for c in codes]
    assert ours == kafkas and len(set(ours)) == 12
