"""``flask bms import``: files and directories, --json lines, --shop and --user, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import BmsImport, RepairOrder, User
from tests import factories
from tests.bms_files import SHARED
from tests.workflow import shop_with_stages, staff

FIXTURES = SHARED
V0 = str(FIXTURES / "example_front_end_v0.xml")
V1 = str(FIXTURES / "example_front_end_v1_supplement.xml")
JSON_KEYS = {
    "file",
    "status",
    "repair_order",
    "claim_number",
    "vin",
    "lines",
    "gross_total",
    "net_total",
    "deductible",
    "version",
    "message",
}


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def shop(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = shop_with_stages()
        people = {role: staff(shop, role).id for role in ("manager", "owner", "estimator")}
        return {"id": shop.id, **people}


def run(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["bms", "import", *args])


def json_lines(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(line) for line in result.stdout.splitlines()]


def importers(app) -> list[int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(sa.select(BmsImport.created_by).order_by(BmsImport.id)))


def test_json_prints_one_object_per_file_with_exactly_the_documented_keys(app, runner, shop):
    result = run(runner, V0, V1, "--json")

    assert result.exit_code == 0, result.output
    first, second = json_lines(result)
    assert set(first) == JSON_KEYS and set(second) == JSON_KEYS
    assert first["file"] == "example_front_end_v0.xml"
    assert (first["status"], second["status"]) == ("imported", "updated")
    assert first["repair_order"] == second["repair_order"] is not None
    assert first["claim_number"] == "ZZ-2026-0417-01" and first["vin"] == "1HGCM82633A004352"
    assert (first["lines"], first["gross_total"], first["net_total"], first["deductible"]) == (
        14,
        "2164.85",
        "1664.85",
        "500.00",
    )
    assert (second["lines"], second["gross_total"], second["net_total"]) == (16, "2612.71", "2112.71")
    assert (first["version"], second["version"]) == (0, 1)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairOrder)) == 1


def test_without_json_one_line_per_file_and_a_summary(app, runner, shop):
    result = run(runner, V0)

    assert result.exit_code == 0, result.output
    with app.app_context():
        number = db.session.scalar(sa.select(RepairOrder.repair_order_number))
    assert result.stdout.splitlines() == [
        f"example_front_end_v0.xml: imported {number}, 14 lines, gross 2164.85, net 1664.85",
        "1 file: 1 imported",
    ]


def test_a_bad_file_fails_alone_and_the_exit_code_says_so(app, runner, shop):
    result = run(runner, str(FIXTURES / "bad_wrong_root.xml"), V0, "--json")

    assert result.exit_code == 1
    bad, good = json_lines(result)
    assert bad["status"] == "failed" and "not a CIECA BMS estimate" in bad["message"]
    assert good["status"] == "imported"


def test_a_directory_imports_its_xml_files_in_name_order(app, runner, shop, tmp_path):
    for path in (V1, V0):
        (tmp_path / Path(path).name).write_bytes(Path(path).read_bytes())
    (tmp_path / "notes.txt").write_text("not an estimate")

    result = run(runner, str(tmp_path), "--json")

    assert result.exit_code == 0, result.output
    assert [(row["file"], row["status"]) for row in json_lines(result)] == [
        ("example_front_end_v0.xml", "imported"),
        ("example_front_end_v1_supplement.xml", "updated"),
    ]


def test_the_fixture_directory_fails_four_files_and_imports_two(app, runner, shop):
    result = run(runner, str(FIXTURES))

    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "6 files: 1 imported, 1 updated, 4 failed"


def test_a_missing_path_is_a_failed_result_naming_it(app, runner, shop, tmp_path):
    missing = tmp_path / "nowhere.xml"

    result = run(runner, str(missing), V0, "--json")

    assert result.exit_code == 1
    gone, good = json_lines(result)
    assert gone["status"] == "failed" and str(missing) in gone["message"]
    assert good["status"] == "imported"


def test_shop_is_required_when_there_are_two_and_must_exist(app, runner, shop):
    with app.app_context():
        factories.ShopFactory(name="Second Shop")

    unnamed = run(runner, V0, "--json")
    wrong = run(runner, V0, "--shop", "999999")

    assert unnamed.exit_code != 0 and "--shop" in unnamed.output and unnamed.stdout == ""
    assert wrong.exit_code != 0 and "999999" in wrong.output
    assert importers(app) == []
    named = run(runner, V0, "--shop", str(shop["id"]), "--json")
    assert named.exit_code == 0, named.output
    assert json_lines(named)[0]["status"] == "imported"


def test_the_importer_is_the_owner_unless_a_user_of_the_shop_is_named(app, runner, shop):
    with app.app_context():
        stranger = factories.UserFactory(shop=factories.ShopFactory(name="Elsewhere"), role="owner").email
        estimator = db.session.get(User, shop["estimator"]).email

    assert run(runner, V0, "--shop", str(shop["id"])).exit_code == 0
    assert run(runner, V1, "--shop", str(shop["id"]), "--user", estimator).exit_code == 0
    refused = run(runner, V1, "--shop", str(shop["id"]), "--user", stranger)

    assert refused.exit_code != 0 and stranger in refused.output
    assert importers(app) == [shop["owner"], shop["estimator"]]
