"""BMS Imports in the admin: uploading files, the results page, an import's details (totals and a supplement's
line changes), an estimate's versions, and who may upload."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import BmsImport, ClaimManagement, Customer, Estimate, RepairOrder
from collisionos.services import bms
from tests import factories
from tests.bms_files import SHARED
from tests.conftest import DEMO_PASSWORD, extract_csrf, login
from tests.workflow import shop_with_stages, staff

FIXTURES = SHARED
V0 = "example_front_end_v0.xml"
V1 = "example_front_end_v1_supplement.xml"
BAD = ("bad_truncated.xml", "bad_xxe.xml", "bad_entity_expansion.xml", "bad_wrong_root.xml")
UPLOAD = "/admin/bms_imports/upload/"


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = shop_with_stages()
        people = {role: staff(shop, role).email for role in ("estimator", "parts_manager", "technician")}
        other = factories.ShopFactory(name="Other Shop")
        people["outsider"] = factories.UserFactory(shop=other, role="manager", password_plain=DEMO_PASSWORD).email
        db.session.remove()
        return people


def client_for(app, email):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def fixture(name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO((FIXTURES / name).read_bytes()), name


def upload(client, *names: str, token: bool = True):  # type: ignore[no-untyped-def]
    data: dict = {"files": [fixture(name) for name in names]}
    if token:
        data["csrf_token"] = extract_csrf(client.get(UPLOAD).get_data(as_text=True))
    return client.post(UPLOAD, data=data, content_type="multipart/form-data")


def result_rows(html: str) -> dict[str, tuple[str, str]]:
    """File name -> (status, the row's text) from the results table."""
    rows = {}
    for status, cells in re.findall(r'<tr class="bms-result bms-result-(\w+)">(.*?)</tr>', html, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", cells).split())
        rows[text.split(" ")[0]] = (status, text)
    return rows


def section(html: str, css_class: str) -> str:
    """The text of the table with ``css_class`` (empty when the page has none)."""
    found = re.search(rf'<table class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</table>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split()) if found else ""


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_uploading_the_estimate_then_its_supplement_updates_the_same_ro_and_shows_the_changes(app, world):
    client = client_for(app, world["estimator"])
    listing = client.get("/admin/bms_imports/").get_data(as_text=True)
    assert "Upload BMS files" in listing and 'href="/admin/bms_imports/upload/"' in listing
    form = client.get(UPLOAD).get_data(as_text=True)
    assert 'type="file"' in form and 'name="files"' in form and "multiple" in form

    first = upload(client, V0)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "1 file: 1 imported" in html
    status, text = result_rows(html)[V0]
    assert status == bms.IMPORTED
    with app.app_context():
        ro = db.session.scalar(sa.select(RepairOrder))
        number, ro_id = ro.repair_order_number, ro.id
    assert f'href="/admin/repair_orders/details/?id={ro_id}">{number}</a>' in html
    for expected in (number, "ZZ-2026-0417-01", "1HGCM82633A004352", " 14 ", "2,164.85", "1,664.85", "500.00"):
        assert expected in f" {text} ", expected

    second = upload(client, V1).get_data(as_text=True)
    assert "1 file: 1 updated" in second
    status, text = result_rows(second)[V1]
    assert status == bms.UPDATED
    assert number in text and " 16 " in f" {text} " and "2,612.71" in text and "2,112.71" in text

    with app.app_context():
        assert [count(RepairOrder), count(Estimate), count(ClaimManagement), count(Customer)] == [1, 1, 1, 1]
        supplement = db.session.scalar(sa.select(BmsImport).where(BmsImport.document_version == 1))
        supplement_id, estimate_id = supplement.id, supplement.estimate_id
    details = client.get(f"/admin/bms_imports/details/?id={supplement_id}").get_data(as_text=True)
    added, removed, changed = (section(details, f"bms-changes-{kind}") for kind in ("added", "removed", "changed"))
    assert "R Fender" in added and "Bumper Reinforcement" in added and "Paint/Materials" not in added
    assert removed == ""
    assert "Paint/Materials" in changed and "250.80 → 296.40" in changed and "R Fender" not in changed
    totals = section(details, "bms-totals")
    assert "2,612.71" in totals
    assert f'href="/admin/repair_orders/details/?id={ro_id}"' in details
    assert f'href="/admin/estimates/details/?id={estimate_id}"' in details
    assert "Document ID" in details  # the record's own fields are still listed under the report
    assert "+00:00" not in details  # times in the shop's zone, not raw UTC

    versions = section(
        client.get(f"/admin/estimates/details/?id={estimate_id}").get_data(as_text=True), "estimate-versions"
    )
    assert versions.index("ZZ-2026-0417-01-V1") < versions.index("ZZ-2026-0417-01-V0")  # newest first
    assert "2 added, 0 removed, 1 changed" in versions and "first version" in versions
    assert "2,612.71" in versions and "2,164.85" in versions


def test_bad_files_fail_with_their_reason_and_do_not_stop_the_good_one(app, world):
    client = client_for(app, world["estimator"])

    html = upload(client, *BAD, V0).get_data(as_text=True)

    assert "5 files: 1 imported, 4 failed" in html
    rows = result_rows(html)
    assert {name: status for name, (status, _text) in rows.items()} == {
        **dict.fromkeys(BAD, bms.FAILED),
        V0: bms.IMPORTED,
    }
    assert "not a CIECA BMS estimate" in rows["bad_wrong_root.xml"][1]
    assert "root:x:0:0" not in html  # the external entity's target is never read into a message
    with app.app_context():
        assert count(RepairOrder) == 1
        failed = db.session.scalars(sa.select(BmsImport).where(BmsImport.status == "failed")).all()
        assert sorted(row.file_name for row in failed) == sorted(BAD)
        failed_id = failed[0].id
    details = client.get(f"/admin/bms_imports/details/?id={failed_id}").get_data(as_text=True)
    assert "bms-message" in details and "badge-danger" in details


def test_each_upload_is_read_up_to_one_byte_over_the_limit(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "BMS_MAX_BYTES", 1000)
    seen: list[tuple[str, int]] = []

    def record(shop_id, files, *, actor, now):  # type: ignore[no-untyped-def]
        seen.extend((name, len(data)) for name, data in files)
        return [bms.ImportResult(file=name, status=bms.FAILED, message=f"{name}: too large") for name, _ in files]

    monkeypatch.setattr(bms, "import_bms_files", record)
    client = client_for(app, world["estimator"])

    html = upload(client, V0, "bad_wrong_root.xml").get_data(as_text=True)

    assert seen == [(V0, 1001), ("bad_wrong_root.xml", (FIXTURES / "bad_wrong_root.xml").stat().st_size)]
    assert "2 files: 2 failed" in html


def test_a_file_over_the_limit_is_refused_as_too_large(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "BMS_MAX_BYTES", 1000)
    client = client_for(app, world["estimator"])

    rows = result_rows(upload(client, V0).get_data(as_text=True))

    assert rows[V0][0] == bms.FAILED
    with app.app_context():
        assert count(RepairOrder) == 0


def test_posting_without_a_file_asks_for_one(app, world):
    client = client_for(app, world["estimator"])
    token = extract_csrf(client.get(UPLOAD).get_data(as_text=True))

    response = client.post(UPLOAD, data={"csrf_token": token}, content_type="multipart/form-data")

    assert "Choose one or more BMS files to import." in response.get_data(as_text=True)
    with app.app_context():
        assert count(BmsImport) == 0


def test_an_upload_without_the_csrf_token_is_refused(app, world):
    client = client_for(app, world["estimator"])

    assert upload(client, V0, token=False).status_code == 400
    with app.app_context():
        assert count(BmsImport) == 0


@pytest.mark.parametrize("role", ["parts_manager", "technician"])
def test_a_role_that_may_not_create_estimates_cannot_upload(app, world, role):
    client = client_for(app, world[role])
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))

    assert client.get(UPLOAD).status_code == 403
    response = client.post(
        UPLOAD, data={"files": [fixture(V0)], "csrf_token": token}, content_type="multipart/form-data"
    )

    assert response.status_code == 403
    assert "Import estimate (BMS)" not in client.get("/admin/").get_data(as_text=True)
    listing = client.get("/admin/bms_imports/")
    assert "Upload BMS files" not in listing.get_data(as_text=True)
    assert listing.status_code == (200 if role == "parts_manager" else 403)
    with app.app_context():
        assert count(BmsImport) == 0


def test_the_menu_offers_the_import_to_roles_that_may_create_estimates(app, world):
    home = client_for(app, world["estimator"]).get("/admin/").get_data(as_text=True)
    assert "Import estimate (BMS)" in home and 'href="/admin/bms_imports/upload/"' in home


def test_another_shop_cannot_open_this_shops_import(app, world):
    upload(client_for(app, world["estimator"]), V0)
    with app.app_context():
        import_id = db.session.scalar(sa.select(BmsImport.id))
        estimate_id = db.session.scalar(sa.select(Estimate.id))
    outsider = client_for(app, world["outsider"])

    assert outsider.get(f"/admin/bms_imports/details/?id={import_id}").status_code == 404
    assert outsider.get(f"/admin/estimates/details/?id={estimate_id}").status_code == 404
    assert V0 not in outsider.get("/admin/bms_imports/").get_data(as_text=True)


def test_a_file_whose_totals_disagree_is_flagged_with_the_difference(app, world):
    # The file states a gross 5.15 above what its own lines add up to.
    tampered = (FIXTURES / V0).read_bytes().replace(b"<TotalAmt>2164.85</TotalAmt>", b"<TotalAmt>2170.00</TotalAmt>")
    client = client_for(app, world["estimator"])
    token = extract_csrf(client.get(UPLOAD).get_data(as_text=True))
    html = client.post(
        UPLOAD,
        data={"files": [(io.BytesIO(tampered), "tampered.xml")], "csrf_token": token},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "1 file: 1 needs review" in html
    assert result_rows(html)["tampered.xml"][0] == bms.NEEDS_REVIEW
    with app.app_context():
        import_id = db.session.scalar(sa.select(BmsImport.id))
        ro = db.session.scalar(sa.select(RepairOrder))
        number, ro_id = ro.repair_order_number, ro.id

    details = client.get(f"/admin/bms_imports/details/?id={import_id}").get_data(as_text=True)
    flagged = re.findall(r'<tr class="table-warning needs-review">(.*?)</tr>', details, re.S)
    assert len(flagged) == 1
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", flagged[0])).split() == [
        "Gross",
        "total",
        "2,164.85",
        "2,170.00",
        "-5.15",
        "needs",
        "review",
    ]

    listing = client_for(app, world["parts_manager"]).get("/admin/bms_imports/").get_data(as_text=True)
    assert f'<a href="/admin/repair_orders/details/?id={ro_id}">{number}</a>' in listing
    assert 'badge-warning">needs review' in listing


def test_an_import_that_agrees_with_its_file_is_not_flagged(app, world):
    upload(client_for(app, world["estimator"]), V0)
    with app.app_context():
        import_id = db.session.scalar(sa.select(BmsImport.id))
    reader = client_for(app, world["parts_manager"])

    assert 'badge-warning">needs review' not in reader.get("/admin/bms_imports/").get_data(as_text=True)
    assert "needs-review" not in reader.get(f"/admin/bms_imports/details/?id={import_id}").get_data(as_text=True)


def test_an_upload_over_the_request_limit_comes_back_with_a_message(app, world):
    client = client_for(app, world["estimator"])
    token = extract_csrf(client.get(UPLOAD).get_data(as_text=True))
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        response = client.post(
            UPLOAD,
            data={"csrf_token": token, "files": [(io.BytesIO(b"x" * 10_000), "big.xml")]},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit

    assert response.status_code == 303 and response.headers["Location"].endswith(UPLOAD)
    page = client.get(UPLOAD).get_data(as_text=True)
    assert "larger than the 4 KB limit" in page
    with app.app_context():
        assert count(BmsImport) == 0


def test_the_ro_page_shows_each_imported_lines_hours_and_part_number(app, world):
    client = client_for(app, world["estimator"])
    upload(client, V0)
    with app.app_context():
        ro_id = db.session.scalar(sa.select(RepairOrder.id))

    page = client.get(f"/admin/repair_orders/details/?id={ro_id}").get_data(as_text=True)

    lines = section(page, "estimate-lines")
    assert "Bumper Cover 71101-TBA-A00 1.00 2.20 412.50" in lines  # the part and its 2.2 h of body labor
