"""电子签章: documents signed PAdES by their issuer's certificate, and verified against this
install's trust roots only."""

from __future__ import annotations

import stat
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from fpdf import FPDF
from pyhanko.pdf_utils.reader import PdfFileReader

from zhongchuang.documents import signing
from zhongchuang.documents.signing import SignatureCheck, SigningSource, SigningUnavailable

ISSUER = "嘉兴市众创空间政策主管部门"


def make_pdf(pages: int = 1) -> bytes:
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_font("Helvetica", size=10)
    for page in range(pages):
        pdf.add_page()
        for line in range(50):
            pdf.cell(0, 5, f"Decision letter page {page} line {line}: approved.")
            pdf.ln()
    return bytes(pdf.output())


@pytest.fixture(autouse=True)
def _fresh_cache():
    signing.clear_cache()
    yield
    signing.clear_cache()


@pytest.fixture
def demo_dir(tmp_path) -> Path:
    return tmp_path / "signing"


@pytest.fixture
def original() -> bytes:
    return make_pdf(pages=3)


@pytest.fixture
def signed(demo_dir, original) -> bytes:
    signer = signing.cached_signer(SigningSource(demo_dir, demo=True), "city", ISSUER)
    return signing.sign_with(signer, original, reason="准予扶持决定书")


def verify(pdf: bytes, directory: Path) -> SignatureCheck:
    return signing.verify_with(pdf, signing.load_trust_roots(directory))


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] = ord("7") if changed[position] != ord("7") else ord("8")
    return bytes(changed)


def test_a_signed_pdf_verifies_with_the_issuers_name(demo_dir, original, signed):
    assert signed.startswith(original)  # an incremental update: the original is untouched
    check = verify(signed, demo_dir)
    assert check == SignatureCheck(
        valid=True,
        intact=True,
        trusted=True,
        signer=ISSUER,
        problem=None,
        signed_at=check.signed_at,
    )
    assert check.signed_at is not None
    assert b"/ETSI.CAdES.detached" in signed  # PAdES
    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    assert embedded.sig_object["/Reason"] == "准予扶持决定书"
    assert embedded.sig_object["/Location"] == "浙江省嘉兴市"


def test_a_byte_changed_in_the_original_content_breaks_the_signature(demo_dir, original, signed):
    text = original.index(b"line 25: approved")
    check = verify(flip(signed, text + 5), demo_dir)
    assert not check.valid
    assert not check.intact
    assert check.problem == signing.MODIFIED


def test_a_byte_changed_in_the_signed_revision_breaks_the_signature(demo_dir, original, signed):
    date = signed.index(b"/M (D", len(original)) + len(b"/M (D\\072") + 3  # the signing date
    check = verify(flip(signed, date), demo_dir)
    assert not check.valid
    assert check.problem == signing.MODIFIED


def test_a_byte_changed_in_the_signature_value_breaks_it(demo_dir, signed):
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    used = len(signed[start : signed.index(b">", start)].rstrip(b"0"))
    check = verify(flip(signed, start + used - 10), demo_dir)  # inside the ECDSA value
    assert not check.valid
    assert not check.intact
    # Data hidden in the reserved room after the signature is refused too.
    check = verify(flip(signed, start + used + 20), demo_dir)
    assert not check.valid
    assert check.problem == signing.MODIFIED


@pytest.mark.parametrize("where", [0, 1 / 4, 1 / 2, 3 / 4, -30])
def test_no_single_changed_byte_passes_or_raises(demo_dir, signed, where):
    position = int(len(signed) * where) if where >= 0 else len(signed) + int(where)
    check = verify(flip(signed, position), demo_dir)
    assert isinstance(check, SignatureCheck)
    assert not check.valid
    assert check.problem


def test_content_appended_after_signing_is_not_covered(demo_dir, signed):
    check = verify(signed + b"\n% appended later\n", demo_dir)
    assert not check.valid
    assert check.intact
    assert check.problem == signing.NOT_COVERED


def test_a_pdf_signed_under_another_ca_is_not_trusted(tmp_path, demo_dir, original, signed):
    other = signing.demo_signer(tmp_path / "elsewhere", "city", ISSUER)  # same names, other CA
    forged = signing.sign_with(other, original, reason="准予扶持决定书")
    assert verify(forged, tmp_path / "elsewhere").valid
    check = verify(forged, demo_dir)
    assert not check.valid
    assert check.intact
    assert not check.trusted
    assert check.problem == signing.UNTRUSTED
    assert signing.load_trust_roots(demo_dir) != signing.load_trust_roots(tmp_path / "elsewhere")


def test_an_unsigned_pdf_is_not_valid(demo_dir, signed, original):
    check = verify(original, demo_dir)
    assert not check.valid
    assert check.signer is None
    assert check.problem == signing.NO_SIGNATURE


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"%PDF-1.7\n garbage", b"\x00" * 5000, "文书".encode(), "a str"],
)
def test_garbage_gets_an_answer_not_an_exception(demo_dir, signed, data):
    check = verify(data, demo_dir)
    assert not check.valid
    assert check.problem in (signing.UNREADABLE, signing.DAMAGED, signing.NO_SIGNATURE)


def test_a_truncated_signed_pdf_is_not_valid(demo_dir, signed):
    for cut in (len(signed) // 2, len(signed) - 10):
        check = verify(signed[:cut], demo_dir)
        assert not check.valid
        assert check.problem


def test_the_demo_ca_and_issuer_certificate_are_generated_once(demo_dir, original, monkeypatch):
    issued: list[str] = []
    real = signing._issue_demo_certificate

    def counting(directory, code, name):
        issued.append(code)
        real(directory, code, name)

    monkeypatch.setattr(signing, "_issue_demo_certificate", counting)
    source = SigningSource(demo_dir, demo=True)
    first = signing.cached_signer(source, "city", ISSUER)
    cert_file = demo_dir / "city.crt"
    before = cert_file.stat()
    signing.sign_with(first, original, reason="一")
    again = signing.cached_signer(source, "city", ISSUER)
    signing.sign_with(again, original, reason="二")
    assert again is first  # the process cache
    assert issued == ["city"]
    assert cert_file.stat().st_mtime_ns == before.st_mtime_ns
    # Another process (an empty cache) reads the files on disk, generating nothing.
    signing.clear_cache()
    assert (
        signing.cached_signer(source, "city", ISSUER).certificate.dump() == first.certificate.dump()
    )
    assert issued == ["city"]
    for name in ("ca.key", "city.key"):
        assert stat.S_IMODE((demo_dir / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in demo_dir.iterdir() if not p.name.startswith(".")) == [
        "ca.crt",
        "ca.key",
        "city.crt",
        "city.key",
    ]


def _sign_in_another_process(directory: str, queue) -> None:
    signing.clear_cache()
    signer = signing.cached_signer(SigningSource(Path(directory), demo=True), "city", ISSUER)
    queue.put(signing.sign_with(signer, make_pdf(), reason="并发"))


def test_processes_generating_at_once_agree_on_one_ca(demo_dir):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_sign_in_another_process, args=(str(demo_dir), queue)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    documents = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(verify(document, demo_dir).valid for document in documents)
    assert len(signing.load_trust_roots(demo_dir)) == 1


def test_each_issuer_has_its_own_certificate(demo_dir, original):
    source = SigningSource(demo_dir, demo=True)
    county = signing.cached_signer(source, "county-330402", "嘉兴市南湖区众创空间政策主管部门")
    city = signing.cached_signer(source, "city", ISSUER)
    assert county.certificate.dump() != city.certificate.dump()
    check = verify(signing.sign_with(county, original, reason="决定书"), demo_dir)
    assert check.valid
    assert check.signer == "嘉兴市南湖区众创空间政策主管部门"


def test_issuer_codes_must_be_file_names(demo_dir):
    with pytest.raises(ValueError, match="文件名"):
        signing.cached_signer(SigningSource(demo_dir, demo=True), "../ca", ISSUER)


def test_production_without_the_issuers_key_refuses_to_sign(tmp_path, demo_dir, original, signed):
    prod = tmp_path / "prod"
    prod.mkdir()
    (prod / "ca.crt").write_bytes((demo_dir / "ca.crt").read_bytes())
    (prod / "city.crt").write_bytes((demo_dir / "city.crt").read_bytes())
    source = SigningSource(prod, demo=False)
    with pytest.raises(SigningUnavailable) as err:
        signing.cached_signer(source, "city", ISSUER)
    assert "city" in err.value.message
    assert "city.key" in err.value.message
    assert not (prod / "city.key").exists()  # production never generates keys
    # With the key in place, it signs (a production directory is the same layout).
    (prod / "city.key").write_bytes((demo_dir / "city.key").read_bytes())
    signer = signing.cached_signer(source, "city", ISSUER)
    assert verify(signing.sign_with(signer, original, reason="决定书"), prod).valid


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path, demo_dir, signed):
    signing.demo_signer(demo_dir, "other", "另一机关")
    prod = tmp_path / "prod"
    prod.mkdir()
    for name in ("ca.crt", "city.crt"):
        (prod / name).write_bytes((demo_dir / name).read_bytes())
    (prod / "city.key").write_bytes((demo_dir / "other.key").read_bytes())
    with pytest.raises(SigningUnavailable, match="不匹配"):
        signing.load_signer(prod, "city")


def test_an_encrypted_production_key_needs_its_passphrase(tmp_path, demo_dir, signed):
    from cryptography.hazmat.primitives import serialization

    prod = tmp_path / "prod"
    prod.mkdir()
    for name in ("ca.crt", "city.crt"):
        (prod / name).write_bytes((demo_dir / name).read_bytes())
    key = serialization.load_pem_private_key((demo_dir / "city.key").read_bytes(), None)
    (prod / "city.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    with pytest.raises(SigningUnavailable, match="ZC_SIGNING_KEY_PASSPHRASE"):
        signing.load_signer(prod, "city")
    with pytest.raises(SigningUnavailable, match="口令"):
        signing.load_signer(prod, "city", passphrase=b"wrong")
    assert signing.load_signer(prod, "city", passphrase=b"s3cret").name == ISSUER


# --- through the app's settings ---------------------------------------------------------------


def tiny_app(tmp_path: Path, **config: object) -> Flask:
    app = Flask("signing_test", instance_path=str(tmp_path / "instance"))
    app.config.update({"ENV_NAME": "test", **config})
    return app


def test_the_app_signs_with_its_demo_ca_under_the_instance_path(tmp_path, original):
    app = tiny_app(tmp_path)
    with app.app_context():
        signed = signing.sign_pdf(original, "city", ISSUER, reason="准予扶持决定书")
        check = signing.verify_pdf(signed)
        assert check.valid
        assert check.signer == ISSUER
        assert b"BEGIN CERTIFICATE" in signing.signer_certificate_pem("city", ISSUER)
        assert len(signing.trust_roots()) == 1
        assert not signing.verify_pdf(b"not a pdf").valid
    assert (tmp_path / "instance" / "signing" / "ca.crt").is_file()


def test_the_app_in_production_needs_the_issuers_files(tmp_path, original):
    prod = tmp_path / "prod"
    prod.mkdir()
    app = tiny_app(tmp_path, ENV_NAME="production", SIGNING_DIR=str(prod), SIGNING_DEMO=True)
    with app.app_context():
        with pytest.raises(SigningUnavailable, match="county-330402"):
            signing.sign_pdf(original, "county-330402", "某机关", reason="决定书")
        check = signing.verify_pdf(original)  # no ca.crt: an answer, not an exception
        assert not check.valid
        assert check.problem == signing.NO_ROOTS
    assert list(prod.iterdir()) == []
    assert not (tmp_path / "instance").exists()


def test_production_configuration_requires_an_existing_signing_dir(tmp_path, monkeypatch):
    from config import ConfigError, config_for

    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("ZC_ID_KEYS", "k")
    monkeypatch.setenv("ZC_ID_HASH_KEY", "h")
    monkeypatch.delenv("ZC_SIGNING_DIR", raising=False)
    with pytest.raises(ConfigError, match="ZC_SIGNING_DIR"):
        config_for("production")
    monkeypatch.setenv("ZC_SIGNING_DIR", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="ZC_SIGNING_DIR"):
        config_for("production")
    monkeypatch.setenv("ZC_SIGNING_DIR", str(tmp_path))
    values = config_for("production")
    assert values["SIGNING_DIR"] == str(tmp_path)
    assert values["SIGNING_DEMO"] is False
