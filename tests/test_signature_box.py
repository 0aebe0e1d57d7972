"""A visible signature (publish --sign KEY --signature-box PAGE[:X,Y,W,H]): the page
drawn shows it in its box and nowhere else, its words are who signed and when in the
report's language, its font is the brand's and embedded, and the file still conforms
and verifies. A self-signed key made here; no network."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from almanac.editions.signing import unsigned_revision

PASSPHRASE = "signature box"
EDITION = Path("editions/2025/0.1")
MM = 72 / 25.4


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed signing certificate for "Ada Signer": the PKCS#12 file and the
    certificate (the trust root for verify --trust)."""
    return _key(tmp_path_factory.mktemp("key"), "Ada Signer")


def _key(folder: Path, common_name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``common_name`` in ``folder``: its PKCS#12 file
    and the certificate."""
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Trust"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(private, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "signer.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", private, cert, [],
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    return folder / "signer.p12", folder / "ca.pem"


def _starter(folder: Path, language: str = "en", signature_box: str | None = None) -> Path:
    """A new starter report; with ``signature_box`` (YAML, as written after the key)
    its report.yaml ends in ``archive: signature_box: …``, on the last line."""
    from almanac.project.scaffold import new_project

    new_project(folder, language=language)
    if signature_box is not None:
        with (folder / "report.yaml").open("a") as manifest:
            manifest.write(f"archive:\n  signature_box: {signature_box}\n")
    return folder


def _pdf(project: Path) -> Path:
    return next((project / EDITION).glob("*.pdf"))


@pytest.fixture(scope="module")
def published(key, tmp_path_factory) -> dict[str, Path]:
    """The starter report published unsigned, signed with the default box on the
    last page, and signed in a box given on page 1; the projects' folders."""
    from almanac.cli import main

    base = tmp_path_factory.mktemp("box")
    plain = _starter(base / "plain")
    last, first = shutil.copytree(plain, base / "last"), shutil.copytree(plain, base / "first")
    assert main(["publish", "-q", str(plain)]) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
        assert main(["publish", "-q", str(last), "--sign", str(key[0]),
                     "--signature-box", "last"]) == 0
        assert main(["publish", "-q", str(first), "--sign", str(key[0]),
                     "--signature-box", "1:20,30,80,20"]) == 0
    return {"plain": plain, "last": last, "first": first}


def _draw(pdf: Path, index: int, scale: float = 2.0):
    """The page drawn by PDFium with its form fields' appearances, as an RGB image."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        document.init_forms()
        page = document[index]
        try:
            return page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
        finally:
            page.close()
    finally:
        document.close()


def _shown_words(pdf: Path, index: int) -> str:
    """The text of the page with its annotations' appearances flattened into it, as
    PDFium extracts it (what a reader who prints the page sees)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(pdf.read_bytes())
    try:
        page = document[index]
        raw.FPDFPage_Flatten(page.raw, raw.FLAT_PRINT)
        page.close()  # PDFium's documentation: a flattened page is loaded again
        page = document[index]
        text = page.get_textpage()
        try:
            return text.get_text_range()
        finally:
            text.close()
            page.close()
    finally:
        document.close()


def _widget(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    return pdf.Root.AcroForm.Fields[0]


def _ink_outside(signed: Path, plain: Path, index: int, rect: list[float]) -> tuple:
    """The bounding box, in points from the page's lower left corner, of what differs
    between the two drawings of the page, and the box ``rect`` grown by a pixel."""
    from PIL import ImageChops

    scale = 2.0
    a, b = _draw(signed, index, scale), _draw(plain, index, scale)
    found = ImageChops.difference(a, b).getbbox()
    assert found is not None, "the signature is not drawn"
    left, top, right, bottom = found
    height = a.size[1]
    drawn = (left / scale, (height - bottom) / scale, right / scale, (height - top) / scale)
    return drawn, (rect[0] - 1, rect[1] - 1, rect[2] + 1, rect[3] + 1)


def test_the_default_box_is_drawn_in_the_foot_of_the_last_page_and_nowhere_else(published):
    signed, plain = _pdf(published["last"]), _pdf(published["plain"])
    with pikepdf.open(signed) as pdf:
        pages = len(pdf.pages)
        page = pdf.pages[-1].obj
        x0, y0, x1, y1 = (float(value) for value in page.get("/TrimBox", page.MediaBox))
        widget = _widget(pdf)
        rect = [float(value) for value in widget.Rect]
        assert widget.P.objgen == page.objgen
    # 70 x 18 mm, 22 mm from the trim box's right edge and 24 mm from its bottom
    expected = [x1 - 92 * MM, y0 + 24 * MM, x1 - 22 * MM, y0 + 42 * MM]
    assert rect == pytest.approx(expected, abs=0.01)
    drawn, box = _ink_outside(signed, plain, pages - 1, rect)
    assert box[0] <= drawn[0] and box[1] <= drawn[1] and drawn[2] <= box[2] \
        and drawn[3] <= box[3], f"ink at {drawn}, outside the box {box}"
    words = _shown_words(signed, pages - 1)
    assert "Digitally signed by Ada Signer" in words
    today = dt.datetime.now(dt.UTC)
    assert any(f"{day:%Y-%m-%d}" in words for day in (today, today - dt.timedelta(days=1),
                                                       today + dt.timedelta(days=1)))
    assert "Digitally signed" not in _shown_words(plain, pages - 1)


def test_a_box_given_in_millimetres_is_the_widgets_rect_on_that_page(published):
    signed, plain = _pdf(published["first"]), _pdf(published["plain"])
    with pikepdf.open(signed) as pdf:
        page = pdf.pages[0].obj
        x0, y0, _x1, _y1 = (float(value) for value in page.get("/TrimBox", page.MediaBox))
        widget = _widget(pdf)
        rect = [float(value) for value in widget.Rect]
        assert widget.P.objgen == page.objgen
    assert rect == pytest.approx([x0 + 20 * MM, y0 + 30 * MM, x0 + 100 * MM, y0 + 50 * MM],
                                 abs=0.01)
    drawn, box = _ink_outside(signed, plain, 0, rect)
    assert box[0] <= drawn[0] and box[1] <= drawn[1] and drawn[2] <= box[2] \
        and drawn[3] <= box[3], f"ink at {drawn}, outside the box {box}"
    assert "Digitally signed by Ada Signer" in _shown_words(signed, 0)


def test_the_visible_widget_is_printed_tagged_and_set_in_the_embedded_brand_font(published):
    from almanac.project.load import load_report

    family = load_report(published["last"]).brand.fonts.body.family.replace(" ", "")
    with pikepdf.open(_pdf(published["last"])) as pdf:
        widget = _widget(pdf)
        flags = int(widget.F)
        assert flags & 4 and not flags & (1 | 2 | 32)  # Print; not Invisible/Hidden/NoView
        assert str(widget.TU)
        element = pdf.Root.StructTreeRoot.ParentTree.Nums[-1]
        assert str(element.S) == "/Form" and element.K.Obj.objgen == widget.objgen
        assert pdf.pages[-1].obj.Tabs == pikepdf.Name.S
        fonts = list(widget.AP.N.Resources.Font.values())
        assert fonts
        for font in fonts:
            assert font.Subtype == pikepdf.Name.Type0 and "/ToUnicode" in font
            descriptor = font.DescendantFonts[0].FontDescriptor
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
            assert family in str(descriptor.FontName)  # "ABCDEF+NotoSans-Regular"


def test_a_visible_signature_conforms_and_verifies_from_its_unsigned_revision(
        published, key, cli):
    signed = _pdf(published["last"])
    assert unsigned_revision(signed.read_bytes()) == _pdf(published["plain"]).read_bytes()
    checked = cli("check-pdf", str(signed))
    assert checked.returncode == 0, checked.stdout
    ran = cli("verify", str(signed), "--trust", str(key[1]))
    assert ran.returncode == 0, ran.stdout
    assert "ok   pages rebuilt identical" in ran.stdout
    assert "ok   certificate chain trusted" in ran.stdout


def test_the_words_are_in_the_reports_language(key, tmp_path, monkeypatch, cli):
    project = _starter(tmp_path / "nl", "nl")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box", "1")
    assert ran.returncode == 0, ran.stderr
    assert "Digitaal ondertekend door Ada Signer" in _shown_words(_pdf(project), 0)


@pytest.mark.parametrize("box, said", [
    ("99:10,10,70,18", "no page 99"),
    ("last:180,10,70,18", "does not lie on page"),
    ("1:10,280,70,18", "does not lie on page"),
])
def test_a_box_off_the_page_is_refused_and_nothing_is_published(key, tmp_path, monkeypatch,
                                                                cli, box, said):
    project = _starter(tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box", box)
    assert ran.returncode == 1
    assert said in ran.stderr and "--signature-box" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (project / "editions").exists()


@pytest.mark.parametrize("box", ["0", "first", "last:10,10,70", "2:10,10,0,18",
                                 "last:-5,10,70,18", "1:a,b,c,d", "last:1_0,10,70,18",
                                 "1:10,10,70,1e1"])
def test_a_box_not_written_as_one_is_a_usage_error(key, tmp_path, cli, box):
    project = _starter(tmp_path / "report")
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box", box)
    assert ran.returncode == 2
    assert "--signature-box" in ran.stderr and "PAGE:X,Y,W,H" in ran.stderr
    assert not (project / "editions").exists()


def test_a_box_without_a_key_names_sign(tmp_path, cli):
    project = _starter(tmp_path / "report")
    ran = cli("publish", "-q", str(project), "--signature-box", "last")
    assert ran.returncode == 1 and "--sign" in ran.stderr
    assert not (project / "editions").exists()



def test_report_yaml_archive_signature_box_shows_the_signature(key, tmp_path, monkeypatch,
                                                               cli):
    project = _starter(tmp_path / "report", signature_box='"1:20,30,80,20"')
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]))
    assert ran.returncode == 0, ran.stderr
    with pikepdf.open(_pdf(project)) as pdf:
        rect = [float(value) for value in _widget(pdf).Rect]
        x0, y0 = (float(value) for value in pdf.pages[0].obj.get("/TrimBox",
                                                                  pdf.pages[0].MediaBox)[:2])
        assert _widget(pdf).P.objgen == pdf.pages[0].obj.objgen
    assert rect == pytest.approx([x0 + 20 * MM, y0 + 30 * MM, x0 + 100 * MM, y0 + 50 * MM],
                                 abs=0.01)


def test_report_yaml_signature_box_misspelt_names_its_line(tmp_path, cli):
    project = _starter(tmp_path / "report", signature_box='"last:20,30"')
    lines = (project / "report.yaml").read_text().splitlines()
    line = next(number for number, text in enumerate(lines, 1) if "signature_box" in text)
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert f"report.yaml:{line}: archive.signature_box: is not a box" in ran.stderr
    assert "PAGE:X,Y,W,H" in ran.stderr


def _widths(array) -> dict[int, float]:
    """A CIDFont's /W array as {CID: width} (ISO 32000-1 9.7.4.3: ``c [w…]`` or
    ``first last w``)."""
    found: dict[int, float] = {}
    items, index = list(array), 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            for offset, width in enumerate(items[index + 1]):
                found[first + offset] = float(width)
            index += 2
        else:
            for cid in range(first, int(items[index + 1]) + 1):
                found[cid] = float(items[index + 2])
            index += 3
    return found


def test_a_brand_font_of_2000_units_per_em_is_set_at_its_own_widths(key, tmp_path,
                                                                    monkeypatch, cli):
    """The /W widths are thousandths of an em, as the embedded program's advances are
    (PDF/A-3 6.2.11.5): a font of 2000 units per em is not set twice as wide."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    from almanac.project.theme import THEME

    project = _starter(tmp_path / "report")
    (project / "styles" / "fonts").mkdir(parents=True)
    shutil.copy(THEME / "styles" / "brand.yaml", project / "styles" / "brand.yaml")
    face = TTFont(THEME / "styles" / "fonts" / "NotoSans-Regular.ttf")
    scale_upem(face, 2000)
    face.save(project / "styles" / "fonts" / "NotoSans-Regular.ttf")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box", "1")
    assert ran.returncode == 0, ran.stderr
    with pikepdf.open(_pdf(project)) as pdf:
        font = next(iter(_widget(pdf).AP.N.Resources.Font.values()))
        cid_font = font.DescendantFonts[0]
        assert cid_font.CIDToGIDMap == pikepdf.Name.Identity
        program = TTFont(io.BytesIO(cid_font.FontDescriptor.FontFile2.read_bytes()))
        per_em = program["head"].unitsPerEm
        widths = _widths(cid_font.W)
        assert len(widths) > 10
        for cid, width in widths.items():
            advance = program["hmtx"][program.getGlyphName(cid)][0]
            assert width == pytest.approx(advance * 1000 / per_em, abs=1), cid
    assert "Digitally signed by Ada Signer" in _shown_words(_pdf(project), 0)


def test_report_yaml_signature_box_past_the_last_page_names_its_line(key, tmp_path,
                                                                     monkeypatch, cli):
    project = _starter(tmp_path / "report", signature_box='"99"')
    line = len((project / "report.yaml").read_text().splitlines())
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]))
    assert ran.returncode == 1
    assert f"report.yaml:{line}: archive.signature_box 99: the PDF has" in ran.stderr
    assert not (project / "editions").exists()


@pytest.mark.parametrize("box", ["2:1,1,1,1", "1:10,10,0.01,0.01", "1:10,10,20,3",
                                 "1:10,10,8,60", "last:10,10,200,5", "1:10,10,29,18"])
def test_a_box_too_small_to_read_is_a_usage_error(key, tmp_path, cli, box):
    project = _starter(tmp_path / "report")
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box", box)
    assert ran.returncode == 2, ran.stderr
    assert "--signature-box" in ran.stderr and "too small to read" in ran.stderr
    assert "30 x 11 mm" in ran.stderr and "Traceback" not in ran.stderr
    assert not (project / "editions").exists()


def test_report_yaml_signature_box_too_small_names_its_line(tmp_path, cli):
    project = _starter(tmp_path / "report", signature_box='"1:10,10,20,3"')
    line = len((project / "report.yaml").read_text().splitlines())
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert f"report.yaml:{line}: archive.signature_box: is too small to read" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_signer_name_the_brand_font_cannot_show_is_refused(tmp_path, monkeypatch, cli):
    """A certificate of 王小明: the brand's Latin face has no glyph for it; the box would
    show .notdef with no Unicode (Matterhorn 31-030, 10-001), so nothing is signed."""
    signer, _ = _key(tmp_path, "王小明")
    project = _starter(tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(signer), "--signature-box", "last")
    assert ran.returncode == 1, ran.stderr
    assert "U+738B 王 (CJK UNIFIED IDEOGRAPH-738B)" in ran.stderr
    assert "U+5C0F 小" in ran.stderr and "U+660E 明" in ran.stderr
    assert "NotoSans-Regular.ttf" in ran.stderr and "without --signature-box" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (project / "editions").exists()
    ran = cli("publish", "-q", str(project), "--sign", str(signer))  # invisible: fine
    assert ran.returncode == 0, ran.stderr


def test_a_name_too_long_for_its_box_is_refused_naming_the_box(tmp_path, monkeypatch, cli):
    signer, _ = _key(tmp_path, "Alexandra Konstantinopoulou-Vanderbilt of the Example Trust")
    project = _starter(tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(signer), "--signature-box",
              "1:20,20,40,11")
    assert ran.returncode == 1, ran.stderr
    assert "--signature-box 1:20,20,40,11: the signature's words" in ran.stderr
    assert "below 6 pt" in ran.stderr and "give a box of at least" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (project / "editions").exists()


def test_report_yaml_signature_box_takes_a_page_number_unquoted(key, tmp_path, monkeypatch,
                                                                cli):
    project = _starter(tmp_path / "report", signature_box="1")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]))
    assert ran.returncode == 0, ran.stderr
    with pikepdf.open(_pdf(project)) as pdf:
        assert _widget(pdf).P.objgen == pdf.pages[0].obj.objgen


def test_a_page_past_the_last_of_a_bilingual_report_names_the_language(key, tmp_path,
                                                                       monkeypatch, cli):
    from test_languages import bilingual

    project = bilingual(tmp_path / "project")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box", "99")
    assert ran.returncode == 1
    assert "--signature-box 99: the nl edition's PDF has" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (project / "editions").exists()


def _shown_sizes(pdf: Path) -> list[float]:
    """The sizes in points at which the visible signature's words are drawn: each
    ``Tf`` size of its appearance stream times the scale of the ``cm`` in force
    (unrotated: the matrix's ``a``), kept over ``q``/``Q``."""
    with pikepdf.open(pdf) as document:
        stream = _widget(document).AP.N
        scale, saved, sizes = 1.0, [], []
        for operands, operator in pikepdf.parse_content_stream(stream):
            if operator == pikepdf.Operator("q"):
                saved.append(scale)
            elif operator == pikepdf.Operator("Q"):
                scale = saved.pop()
            elif operator == pikepdf.Operator("cm"):
                scale *= float(operands[0])
            elif operator == pikepdf.Operator("Tf"):
                sizes.append(float(operands[1]) * scale)
    return sizes


def test_a_small_box_shows_its_words_at_6_pt_or_more(key, tmp_path, monkeypatch, cli):
    project = _starter(tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(key[0]), "--signature-box",
              "1:20,20,45,11")
    assert ran.returncode == 0, ran.stderr
    sizes = _shown_sizes(_pdf(project))
    assert sizes and min(sizes) >= 6, sizes
    assert "Digitally signed by Ada Signer" in _shown_words(_pdf(project), 0)
