"""Signed editions (PAdES): publish --sign, verify --trust, and what tampering shows.

Every key, certificate and the timestamp authority are made here, on this machine: a
CA, a signer (PKCS#12 and PEM), a second CA nobody trusts, and an RFC 3161 authority
served over HTTP on 127.0.0.1 from a thread; no test uses the network.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from almanac.editions.signing import unsigned_revision

PASSPHRASE = "correct horse battery staple"
EDITION = Path("editions/2025/0.1")


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Trust"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key, issuer: x509.Certificate | None, issuer_key, *,
                 ca: bool = False, usage: list | None = None, days: int = 30,
                 start_days: int = -1) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject))
               .issuer_name(issuer.subject if issuer else _name(subject))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + dt.timedelta(days=start_days))
               .not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=False,  # no nonRepudiation
                   key_encipherment=False, data_encipherment=False, key_agreement=False,
                   key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                   decipher_only=False), critical=True))
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Keys:
    """The files of the local PKI: ``ca`` and ``other_ca`` (PEM certificates), the
    signer as ``p12`` and as ``key`` (encrypted PEM) with ``cert``, and a key that is
    not the certificate's (``stranger``); ``tsa`` the timestamp authority's URL."""

    ca: Path
    other_ca: Path
    p12: Path
    key: Path
    cert: Path
    stranger: Path
    tsa: str
    expired: Path
    plain_key: Path
    intermediate: Path
    deep_key: Path
    deep_cert: Path


class _Authority(BaseHTTPRequestHandler):
    stamper = None  # a pyHanko DummyTimeStamper: the TSA's key and certificate

    def do_POST(self):  # noqa: N802 (the http.server API)
        from asn1crypto import tsp

        request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
        response = asyncio.run(self.stamper.async_request_tsa_response(request))
        body = response.dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Iterator[Keys]:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps import DummyTimeStamper

    folder = tmp_path_factory.mktemp("pki")
    ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), \
        ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Example Root CA", ca_key, None, ca_key, ca=True, days=365,
                      start_days=-500)
    other = _certificate("Example Root CA", other_key, None, other_key, ca=True, days=365)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _certificate("Ada Signer", signer_key, ca, ca_key)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's
    # DummyTimeStamper signs with RSA only
    tsa = _certificate("Example Timestamps", tsa_key, ca, ca_key, start_days=-500,
                       usage=[ExtendedKeyUsageOID.TIME_STAMPING])
    (folder / "ca.pem").write_bytes(_pem(ca))
    (folder / "other-ca.pem").write_bytes(_pem(other))
    (folder / "signer.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", signer_key, signer, [ca],
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    (folder / "signer.key").write_bytes(signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    (folder / "signer.pem").write_bytes(_pem(signer))
    (folder / "expired.pem").write_bytes(_pem(_certificate(
        "Ada Signer", signer_key, ca, ca_key, start_days=-400, days=-35)))
    middle_key, deep_key = ec.generate_private_key(ec.SECP256R1()), \
        ec.generate_private_key(ec.SECP256R1())
    middle = _certificate("Example Issuing CA", middle_key, ca, ca_key, ca=True)
    (folder / "intermediate.pem").write_bytes(_pem(middle))
    (folder / "deep.pem").write_bytes(_pem(_certificate("Bea Signer", deep_key, middle,
                                                         middle_key)))
    (folder / "deep.key").write_bytes(deep_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "plain.key").write_bytes(signer_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "stranger.key").write_bytes(ec.generate_private_key(ec.SECP256R1())
                                          .private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    der = serialization.Encoding.DER
    _Authority.stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        certs_to_embed=[asn1_x509.Certificate.load(ca.public_bytes(der))])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Authority)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Keys(folder / "ca.pem", folder / "other-ca.pem", folder / "signer.p12",
               folder / "signer.key", folder / "signer.pem", folder / "stranger.key",
               f"http://127.0.0.1:{server.server_address[1]}/", folder / "expired.pem",
               folder / "plain.key", folder / "intermediate.pem", folder / "deep.key",
               folder / "deep.pem")
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    """A small report as ``almanac new`` writes it, copied for each publish."""
    from almanac.project.scaffold import new_project

    folder = tmp_path_factory.mktemp("starter") / "report"
    new_project(folder)
    return folder


def _nothing_published(project: Path) -> bool:
    """No edition folder in the archive nor in the build output."""
    return not (project / "editions").exists() and not (project / "output").exists()


def _copy(starter: Path, target: Path) -> Path:
    shutil.copytree(starter, target)
    return target


@pytest.fixture(scope="module")
def signed(keys, starter, tmp_path_factory) -> tuple[Path, Path]:
    """The starter report published once unsigned and once signed with the PKCS#12
    key (its passphrase from the environment): the two projects' folders."""
    from almanac.cli import main

    base = tmp_path_factory.mktemp("editions")
    plain, signed = _copy(starter, base / "plain"), _copy(starter, base / "signed")
    assert main(["publish", "-q", str(plain)]) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
        assert main(["publish", "-q", str(signed), "--sign", str(keys.p12)]) == 0
    return plain, signed


def _pdf(project: Path) -> Path:
    return next((project / EDITION).glob("*.pdf"))


def _mailed(pdf: Path, folder: Path, data: bytes | None = None) -> Path:
    """The PDF copied alone (no manifest.json beside it), ``data`` in its place."""
    folder.mkdir(exist_ok=True)
    target = folder / pdf.name
    target.write_bytes(pdf.read_bytes() if data is None else data)
    return target


def test_a_signed_edition_is_the_unsigned_one_with_a_signature_appended(signed):
    plain, project = signed
    unsigned, signed_pdf = _pdf(plain).read_bytes(), _pdf(project).read_bytes()
    assert signed_pdf != unsigned and signed_pdf.startswith(unsigned)
    assert unsigned_revision(signed_pdf) == unsigned  # removing the signature: the bytes
    assert unsigned_revision(unsigned) is None
    record = json.loads((project / EDITION / "manifest.json").read_text())["pdf"]
    assert record["sha256"] == hashlib.sha256(signed_pdf).hexdigest()
    assert record["size"] == len(signed_pdf)
    assert record["unsigned_sha256"] == hashlib.sha256(unsigned).hexdigest()
    assert record["unsigned_size"] == len(unsigned)
    assert "Ada Signer" in record["signature"]["signer"]
    assert record["signature"]["timestamped"] is False
    signing_time = dt.datetime.fromisoformat(record["signature"]["signing_time"])
    assert abs(dt.datetime.now(dt.UTC) - signing_time) < dt.timedelta(hours=1)
    with pikepdf.open(io.BytesIO(signed_pdf)) as pdf:  # invisible, printable, tagged
        widget = pdf.Root.AcroForm.Fields[0]
        assert widget.FT == "/Sig" and list(widget.Rect) == [0, 0, 0, 0]
        assert int(widget.F) & 4 and not int(widget.F) & (2 | 32)
        assert str(widget.V.SubFilter) == "/ETSI.CAdES.detached"
        assert "/StructParent" in widget and str(widget.TU)
    plain_record = json.loads((plain / EDITION / "manifest.json").read_text())["pdf"]
    assert "signature" not in plain_record and "unsigned_sha256" not in plain_record


def test_a_signed_edition_conforms_and_verifies_with_its_signer_and_time(signed, keys, cli):
    _, project = signed
    pdf = _pdf(project)
    assert cli("check-pdf", str(pdf)).returncode == 0  # PDF/A-3a and PDF/UA-1 still
    ran = cli("verify", str(pdf), "--trust", str(keys.ca))
    assert ran.returncode == 0, ran.stdout
    assert "ok   signature intact: Common Name: Ada Signer" in ran.stdout
    assert "ok   unchanged since signing" in ran.stdout
    assert "ok   certificate chain trusted" in ran.stdout
    assert "ok   sha256 against manifest.json" in ran.stdout
    # rebuilt from its sources: the revision before the signature, byte for byte
    assert "ok   pages rebuilt identical" in ran.stdout
    assert re.search(r"signing time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", ran.stdout)
    assert ran.stdout.rstrip().endswith(": intact")
    untrusted = cli("verify", str(pdf))
    assert untrusted.returncode == 0
    assert "chain not checked: give --trust CA.pem" in untrusted.stdout


def test_the_catalogue_of_editions_names_the_signer(signed, cli):
    plain, project = signed
    listed = cli("editions", str(project))
    assert listed.returncode == 0, listed.stdout
    (record,) = json.loads(cli("editions", str(project), "--json").stdout)
    assert [s["timestamped"] for s in record["signed"]] == [False]
    when = dt.datetime.fromisoformat(record["signed"][0]["time"])  # ISO in JSON
    # the table gives it to the minute, in UTC
    shown = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert re.search(rf"^    signed by Common Name: Ada Signer.*, {shown}$", listed.stdout,
                     re.M), listed.stdout
    assert "signed by" not in cli("editions", str(plain)).stdout


def test_an_unsigned_edition_says_so_and_passes(signed, cli):
    plain, _ = signed
    ran = cli("verify", str(_pdf(plain)))
    assert ran.returncode == 0 and "not signed" in ran.stdout.splitlines()


def test_publishing_a_signed_edition_again_changes_nothing(signed, keys, cli, monkeypatch):
    _, project = signed
    before = _pdf(project).read_bytes()
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(keys.p12))
    assert ran.returncode == 0 and "nothing changed" in ran.stderr
    assert _pdf(project).read_bytes() == before


def test_signing_a_version_published_unsigned_rewrites_nothing_and_says_so(
        signed, keys, cli, monkeypatch):
    plain, _ = signed
    before = _pdf(plain).read_bytes()
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(plain), "--sign", str(keys.p12))
    assert ran.returncode == 0
    assert "published without a signature" in ran.stderr and "next version" in ran.stderr
    assert _pdf(plain).read_bytes() == before


def test_a_trust_root_that_did_not_issue_the_chain_fails(signed, keys, cli):
    _, project = signed
    ran = cli("verify", str(_pdf(project)), "--trust", str(keys.other_ca))
    assert ran.returncode == 1
    assert "FAIL certificate chain trusted" in ran.stdout
    assert "ok   signature intact" in ran.stdout  # the bytes are as signed
    assert "ok   pages rebuilt identical" in ran.stdout  # whoever signed, the pages hold


def test_altered_signature_bytes_fail_the_signature(signed, cli, tmp_path):
    _, project = signed
    data = bytearray(_pdf(project).read_bytes())
    contents = data.index(b"/Contents <") + len(b"/Contents <") + 200  # inside the CMS
    data[contents:contents + 1] = b"0" if data[contents:contents + 1] != b"0" else b"1"
    ran = cli("verify", str(_mailed(_pdf(project), tmp_path, bytes(data))))
    assert ran.returncode == 1
    assert "FAIL signature intact" in ran.stdout or "FAIL signature:" in ran.stdout
    assert "FAIL unchanged since signing: not known: the signature cannot be validated" \
        in ran.stdout or "the signature covers the whole file" not in ran.stdout


def test_a_signed_file_written_again_is_not_the_one_signed(signed, cli, tmp_path):
    """qpdf writes the whole file anew (a page appended, no incremental update): the
    signature's byte range no longer covers the file as it is."""
    _, project = signed
    mailed = _mailed(_pdf(project), tmp_path)
    rewritten = tmp_path / "rewritten.pdf"
    subprocess.run(["qpdf", str(mailed), "--pages", str(mailed), "1-z", str(mailed), "1",
                    "--", str(rewritten)], check=True)
    ran = cli("verify", "--quick", str(rewritten))
    assert ran.returncode == 1
    assert "FAIL unchanged since signing: the file is not the one signed: it was written " \
        "again after signing" in ran.stdout, ran.stdout


def test_a_page_appended_after_signing_is_named(signed, cli, tmp_path):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _, project = signed
    writer = IncrementalPdfFileWriter(io.BytesIO(_pdf(project).read_bytes()))
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject(
            [generic.NumberObject(value) for value in (0, 0, 595, 842)])}))
    out = io.BytesIO()
    writer.write(out)
    ran = cli("verify", str(_mailed(_pdf(project), tmp_path, out.getvalue())))
    assert ran.returncode == 1
    assert "FAIL unchanged since signing: 1 incremental update(s) after the signature " \
           "(other changes" in ran.stdout
    assert "ok   signature intact" in ran.stdout  # the signed revision itself is intact


def test_metadata_changed_after_signing_is_named(signed, cli, tmp_path):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _, project = signed
    writer = IncrementalPdfFileWriter(io.BytesIO(_pdf(project).read_bytes()))
    info = writer.trailer["/Info"]
    info[generic.NameObject("/Title")] = generic.TextStringObject("Another title")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    ran = cli("verify", str(_mailed(_pdf(project), tmp_path, out.getvalue())))
    assert ran.returncode == 1
    assert "FAIL unchanged since signing: 1 incremental update(s) after the signature" \
        in ran.stdout


def test_a_pem_key_signs_with_its_certificate_and_a_timestamp(keys, starter, cli, tmp_path,
                                                              monkeypatch):
    """The timestamp authority named in report.yaml (archive.timestamp_url) stamps it."""
    project = _copy(starter, tmp_path / "report")
    with (project / "report.yaml").open("a") as manifest:
        manifest.write(f"archive:\n  timestamp_url: {keys.tsa}\n")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(keys.key), "--certificate",
              str(keys.cert))
    assert ran.returncode == 0, ran.stderr
    record = json.loads((project / EDITION / "manifest.json").read_text())["pdf"]
    assert record["signature"]["timestamped"] is True
    ran = cli("verify", str(_pdf(project)), "--trust", str(keys.ca))
    assert ran.returncode == 0, ran.stdout
    assert re.search(r"timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by "
                     r".*Example Timestamps", ran.stdout)


def test_a_wrong_passphrase_names_the_key_and_writes_nothing(keys, starter, cli, tmp_path,
                                                             monkeypatch):
    project = _copy(starter, tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", "not the passphrase")
    ran = cli("publish", str(project), "--sign", str(keys.p12))
    assert ran.returncode == 1
    assert f"{keys.p12}: the PKCS#12 file cannot be opened: the passphrase is wrong" \
        in ran.stderr
    assert "ALMANAC_SIGN_PASSPHRASE" in ran.stderr and "Traceback" not in ran.stderr
    assert _nothing_published(project)


def test_a_key_that_is_not_the_certificates_is_refused(keys, starter, cli, tmp_path):
    project = _copy(starter, tmp_path / "report")
    ran = cli("publish", str(project), "--sign", str(keys.stranger), "--certificate",
              str(keys.cert))
    assert ran.returncode == 1
    assert f"{keys.cert}: the private key is not the key of this certificate" in ran.stderr
    assert _nothing_published(project)


def test_an_unreachable_timestamp_authority_writes_nothing(keys, starter, cli, tmp_path,
                                                           monkeypatch):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    project = _copy(starter, tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(keys.p12), "--timestamp-url",
              f"http://127.0.0.1:{port}/")
    assert ran.returncode == 1
    assert f"the timestamp authority http://127.0.0.1:{port}/ gave no timestamp" in ran.stderr
    assert _nothing_published(project)


def test_an_expired_certificate_is_refused_before_anything_is_built(keys, starter, cli,
                                                                     tmp_path):
    project = _copy(starter, tmp_path / "report")
    ran = cli("publish", str(project), "--sign", str(keys.plain_key), "--certificate",
              str(keys.expired))
    assert ran.returncode == 1
    assert re.search(rf"{re.escape(str(keys.expired))}: the certificate \(.*Ada Signer.*\) is "
                     r"valid from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, not now", ran.stderr)
    assert "renew the certificate" in ran.stderr
    assert _nothing_published(project)


def test_the_passphrase_is_asked_only_for_a_protected_key(keys, monkeypatch):
    from almanac.editions.signing import load_signer
    from almanac.errors import ReportError

    monkeypatch.delenv("ALMANAC_SIGN_PASSPHRASE", raising=False)
    asked: list[Path] = []

    def ask(path: Path) -> bytes:
        asked.append(path)
        return PASSPHRASE.encode()

    assert "Ada Signer" in load_signer(keys.plain_key, keys.cert, ask=ask).subject
    assert asked == []  # an unprotected key: no prompt
    assert "Ada Signer" in load_signer(keys.p12, ask=ask).subject
    assert asked == [keys.p12]
    with pytest.raises(ReportError) as refused:  # no environment and no terminal
        load_signer(keys.key, keys.cert)
    assert str(keys.key) in str(refused.value)
    assert "protected by a passphrase, and none was given" in str(refused.value)


def test_a_trust_root_that_is_not_a_certificate_is_named(signed, cli, tmp_path):
    _, project = signed
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    ran = cli("verify", str(_pdf(project)), "--trust", str(bogus))
    assert ran.returncode == 1
    assert f"{bogus}: this is not a certificate" in ran.stderr


def test_a_timestamp_keeps_a_signature_trusted_after_its_certificate_expired(
        signed, keys, cli, tmp_path):
    from pyhanko.sign.timestamps import DummyTimeStamper

    from almanac.editions.signing import load_signer, sign_pdf

    plain, _ = signed
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=100)  # the certificate was valid
    signer = load_signer(keys.plain_key, keys.expired, now=then)
    authority = _Authority.stamper
    stamper = DummyTimeStamper(tsa_cert=authority.tsa_cert, tsa_key=authority.tsa_key,
                               certs_to_embed=authority.certs_to_embed, fixed_dt=then)
    data = _pdf(plain).read_bytes()
    stamped = _mailed(_pdf(plain), tmp_path / "stamped",
                      sign_pdf(data, signer, timestamper=stamper))
    bare = _mailed(_pdf(plain), tmp_path / "bare", sign_pdf(data, signer))
    ran = cli("verify", str(stamped), "--trust", str(keys.ca))
    assert ran.returncode == 0, ran.stdout
    assert "ok   certificate chain trusted: the chain ends in a given trust root at the " \
           f"timestamp's time, {then:%Y-%m-%d}" in ran.stdout
    ran = cli("verify", str(bare), "--trust", str(keys.ca))
    assert ran.returncode == 1
    assert "FAIL certificate chain trusted: no valid chain from the signer to a given " \
           "trust root (the signer's certificate is expired" in ran.stdout


def test_each_language_of_a_report_in_several_is_signed(keys, starter, cli, tmp_path,
                                                        monkeypatch):
    project = _copy(starter, tmp_path / "report")
    manifest = project / "report.yaml"
    manifest.write_text(manifest.read_text().replace(
        'language: "en"', "languages: [en, de]\nmissing_translations: main-language"))
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", "-q", str(project), "--sign", str(keys.p12))
    assert ran.returncode == 0, ran.stderr
    for tag in ("en", "de"):
        folder = project / EDITION / tag
        record = json.loads((folder / "manifest.json").read_text())["pdf"]
        assert "Ada Signer" in record["signature"]["signer"]
        pdf = next(folder.glob("*.pdf"))
        ran = cli("verify", str(pdf), "--trust", str(keys.ca))
        assert ran.returncode == 0 and "ok   signature intact" in ran.stdout, ran.stdout
        assert hashlib.sha256(unsigned_revision(pdf.read_bytes())).hexdigest() == \
            record["unsigned_sha256"]


def test_an_intermediate_given_with_chain_completes_the_path_to_the_root(
        keys, starter, cli, tmp_path):
    editions = {}
    for name, extra in (("with", ["--chain", str(keys.intermediate)]), ("without", [])):
        project = _copy(starter, tmp_path / name)
        ran = cli("publish", "-q", str(project), "--sign", str(keys.deep_key),
                  "--certificate", str(keys.deep_cert), *extra)
        assert ran.returncode == 0, ran.stderr
        editions[name] = cli("verify", str(_pdf(project)), "--trust", str(keys.ca))
    assert editions["with"].returncode == 0, editions["with"].stdout
    assert "ok   certificate chain trusted" in editions["with"].stdout
    assert editions["without"].returncode == 1
    assert "FAIL certificate chain trusted" in editions["without"].stdout


def test_a_timestamp_url_that_is_no_url_is_refused_before_building(keys, starter, cli,
                                                                   tmp_path, monkeypatch):
    project = _copy(starter, tmp_path / "report")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", str(project), "--sign", str(keys.p12), "--timestamp-url", "not a url")
    assert ran.returncode == 2
    assert "argument --timestamp-url: 'not a url' is not an http(s) URL: give the timestamp " \
        "authority's address, e.g. https://freetsa.org/tsr" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr and _nothing_published(project)


def test_a_timestamp_authority_of_report_yaml_that_does_not_answer_names_its_line(
        keys, starter, cli, tmp_path, monkeypatch):
    import socket

    with socket.socket() as unused:  # a port nothing listens on: refused at once
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/tsr"
    project = _copy(starter, tmp_path / "report")
    with (project / "report.yaml").open("a") as manifest:
        manifest.write(f"archive:\n  timestamp_url: {url}\n")
    line = (project / "report.yaml").read_text().splitlines().index(f"  timestamp_url: {url}")
    monkeypatch.setenv("ALMANAC_SIGN_PASSPHRASE", PASSPHRASE)
    ran = cli("publish", str(project), "--sign", str(keys.p12))
    assert ran.returncode == 1
    assert f"report.yaml:{line + 1}: archive.timestamp_url: the timestamp authority {url} " \
        "gave no timestamp" in ran.stderr, ran.stderr
    assert "fix: check the address and the network, or remove archive.timestamp_url" \
        in ran.stderr
    assert "Traceback" not in ran.stderr and not (project / "editions").exists()
