"""Loading the district registry into the real document store, as `sangsuk init` does at every start."""

from __future__ import annotations

from shared import mongo
from shared.districts import default_registry


def test_registry_load_writes_what_is_new_or_changed_and_nothing_else(settings):
    db = mongo.database(settings)
    registry = default_registry()
    assert mongo.load_registry_into_store(db, registry) == 878
    assert db.districts.count_documents({}) == 878
    assert mongo.load_registry_into_store(db, registry) == 0  # a second start writes nothing

    regrouped = registry.with_size_groups({d.code: "large" if d.code == "3706" else d.size_group for d in registry})
    assert mongo.load_registry_into_store(db, regrouped) == 1
    assert db.districts.find_one({"_id": "3706"})["size_group"] == "large"
    assert db.districts.find_one({"_id": "4408"})["size_group"] == "medium"
