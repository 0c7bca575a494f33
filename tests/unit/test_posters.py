"""Posters: the QR code printed on a poster decodes to that district's vote page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pypdfium2
import pytest
import zxingcpp

from shared.cli import main

BASE = "https://vote.example.test"


@pytest.fixture(scope="module")
def posters(tmp_path_factory):
    out = tmp_path_factory.mktemp("posters")
    assert main(["posters", "--out", str(out), "--base-url", BASE, "--codes", "3706,4408,5702"]) == 0
    return out


@pytest.mark.parametrize("code", ["3706", "4408", "5702"])
def test_pdf_poster_qr_decodes_to_the_district_page(posters, code):
    pdf = pypdfium2.PdfDocument(str(posters / "pdf" / f"{code}.pdf"))
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    image = pdf[0].render(scale=150 / 72).to_pil()  # as a 150 dpi scan
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [f"{BASE}/d/{code}"]
    text = pdf[0].get_textpage().get_text_range()
    assert "อำเภอสร้างสุข" in text and "@amphoesangsook" in text and f"โหวต {code}" in text


def test_svg_poster_has_the_district_in_thai_and_its_fonts(posters):
    svg = ET.parse(posters / "svg" / "3706.svg").getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "อำเภอหัวตะพาน" in texts and "จังหวัดอำนาจเจริญ" in texts
    assert (posters / "svg" / "fonts" / "NotoSansThaiLatin-Regular.ttf").exists()
    assert (posters / "svg" / "fonts" / "LICENSE.md").exists()


def test_posters_refuse_to_guess_the_address(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert main(["posters", "--out", str(tmp_path)]) == 2
    assert "PUBLIC_BASE_URL" in capsys.readouterr().err
    assert main(["posters", "--out", str(tmp_path), "--base-url", BASE, "--codes", "1001"]) == 2
