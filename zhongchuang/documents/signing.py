"""电子签章 — PAdES signatures on official documents (文书) and their verification.

Each issuer (发文机关) signs with its own certificate, issued by the trust root(s) of this
installation. A signing directory holds:

- ``ca.crt`` — the trust root(s), PEM (several certificates may follow one another);
- ``<issuer_code>.key`` — the issuer's private key, PEM, unencrypted or encrypted with the
  passphrase of ``ZC_SIGNING_KEY_PASSPHRASE``;
- ``<issuer_code>.crt`` — the issuer's certificate, PEM, optionally followed by the
  intermediate certificates between it and the root.

In production the directory is ``SIGNING_DIR`` (``ZC_SIGNING_DIR``) and is filled by the
operators; a missing file is :class:`SigningUnavailable`. In development and tests (no
``SIGNING_DIR``, or ``SIGNING_DEMO`` on) the same layout is generated on first use under
``<instance_path>/signing/``: a demo CA of this install and, per issuer, a certificate it
issues (EC P-256). Generation holds an exclusive lock on ``.lock`` in that directory and
writes each file through a temporary file and :func:`os.replace`, so processes starting at
the same time end up with one CA; each then reads what is on disk.

Signatures are PAdES B-B (``ETSI.CAdES.detached``, SHA-256), invisible, appended as an
incremental update. Verification checks the signature against the trust roots of this
install only (no network, no revocation fetching) at the signing time embedded in the
signature — so a document stays verifiable after its certificate has expired — and
requires the signature to cover the whole file. Any change to the signed bytes, to the
signature value or to the zero padding after it makes the document invalid; the few bytes
of the signature container that its signature does not cover by design (such as the copy
of the root certificate it carries, which the trust roots here replace) say nothing about
the document. The exact bytes of an issued document are pinned by its stored SHA-256.

The core functions take explicit paths (:func:`load_signer`, :func:`demo_signer`,
:func:`sign_with`, :func:`verify_with`, :func:`load_trust_roots`); :func:`sign_pdf`,
:func:`verify_pdf`, :func:`trust_roots` and :func:`signer_certificate_pem` read the
running app's settings.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    PrivateKeyTypes,
)
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

log = logging.getLogger("zhongchuang.signing")

CA_FILE = "ca.crt"
CA_KEY_FILE = "ca.key"  # demo CA only; a production directory has none
LOCK_FILE = ".lock"
DEMO_SUBDIR = "signing"
DEMO_CA_NAME = "Zhongchuang 演示签章根证书（仅供开发测试）"
DEMO_VALID_FROM = datetime(2015, 1, 1, tzinfo=UTC)
DEMO_VALID_UNTIL = datetime(2040, 1, 1, tzinfo=UTC)
DEFAULT_LOCATION = "浙江省嘉兴市"
#: Issuer codes name files: ``city``, ``county-330402``.
ISSUER_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

MODIFIED = "文件已被修改，签名不再有效。"
UNTRUSTED = "签名证书不是本系统的签发机构证书。"
NO_SIGNATURE = "文件没有数字签名。"
UNREADABLE = "文件无法读取（不是有效的 PDF）。"
DAMAGED = "文件已损坏或被修改，无法核验签名。"
NOT_COVERED = "签名之后文件又被追加了内容，签名未覆盖整个文件。"
OUT_OF_PERIOD = "签名时签章证书不在有效期内。"
REVOKED = "签章证书已被吊销。"
CERT_UNUSABLE = "签章证书无法用于核验（用途或算法不符合要求）。"
NOT_CONFORMING = "签名不符合本系统的签章要求。"
NO_ROOTS = "本系统未配置签章根证书，暂时无法核验签名。"


class SigningUnavailable(Exception):
    """The issuer's key or certificate is missing or unusable: nothing can be signed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SignatureCheck:
    """What verification concluded. ``valid``: intact, trusted and covering the whole file.

    ``signer`` is the name in the signer's certificate (its common name, else its
    organisation) as the certificate states it — to be believed only when ``valid``.
    ``problem`` is a short Chinese explanation whenever ``valid`` is false.
    """

    valid: bool
    intact: bool
    trusted: bool
    signer: str | None
    problem: str | None
    signed_at: datetime | None = None


@dataclass(frozen=True)
class IssuerSigner:
    """An issuer's loaded key and certificate, ready to sign."""

    issuer_code: str
    name: str
    signer: signers.SimpleSigner
    certificate: Any  # asn1crypto.x509.Certificate
    not_before: datetime
    not_after: datetime
    #: Room for the CMS object in hex digits (two per byte): no dry-run signature needed.
    bytes_reserved: int
    #: (mtime_ns, size, inode) of the files it was loaded from, to notice a replacement.
    stamp: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class SigningSource:
    """Where the keys are: a directory, and whether it is a generated demo directory."""

    directory: Path
    demo: bool
    passphrase: bytes | None = None


# --- files --------------------------------------------------------------------------------

_SIGNERS: dict[tuple[str, str], IssuerSigner] = {}
_ROOTS: dict[str, tuple[tuple[int, int, int], list[Any]]] = {}
_CACHE_LOCK = threading.Lock()


def _check_code(issuer_code: str) -> str:
    if not ISSUER_CODE_RE.fullmatch(issuer_code):
        raise ValueError(f"签发机构代码 {issuer_code!r} 不能用作文件名")
    return issuer_code


def _issuer_files(directory: Path, issuer_code: str) -> tuple[Path, Path, Path]:
    code = _check_code(issuer_code)
    return directory / f"{code}.key", directory / f"{code}.crt", directory / CA_FILE


def _stamp(paths: Sequence[Path]) -> tuple[tuple[int, int, int], ...] | None:
    try:
        stats = [p.stat() for p in paths]
    except OSError:
        return None
    return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in stats)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock across processes on ``directory/.lock``."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read_certificates(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SigningUnavailable(f"证书文件 {path} 无法读取：{exc}") from exc


def _to_asn1(cert: x509.Certificate) -> Any:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _subject_name(name: x509.Name) -> str | None:
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        attrs = name.get_attributes_for_oid(oid)
        if attrs:
            value = attrs[0].value
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return None


def _load_key(path: Path, passphrase: bytes | None, issuer_code: str) -> PrivateKeyTypes:
    data = path.read_bytes()
    encrypted = b"ENCRYPTED" in data
    if encrypted and not passphrase:
        raise SigningUnavailable(
            f"签发机构 {issuer_code} 的私钥 {path} 已加密，"
            "但未配置口令（环境变量 ZC_SIGNING_KEY_PASSPHRASE）。"
        )
    try:
        return serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError) as exc:
        raise SigningUnavailable(
            f"签发机构 {issuer_code} 的私钥 {path} 无法读取（格式或口令不对）。"
        ) from exc


# --- loading a signer -----------------------------------------------------------------------


def load_signer(
    directory: Path | str, issuer_code: str, *, passphrase: bytes | None = None
) -> IssuerSigner:
    """The issuer's signer from ``directory`` (no cache). :class:`SigningUnavailable` when
    a file is missing or unusable."""
    directory = Path(directory)
    key_path, cert_path, ca_path = _issuer_files(directory, issuer_code)
    missing = [p.name for p in (key_path, cert_path, ca_path) if not p.is_file()]
    if missing:
        raise SigningUnavailable(
            f"签发机构 {issuer_code} 的签章证书不可用：签章目录 {directory} 中应有 "
            f"{key_path.name}（私钥）、{cert_path.name}（证书）和 {CA_FILE}（根证书），"
            f"缺少 {'、'.join(missing)}。"
        )
    stamp = _stamp((key_path, cert_path, ca_path))
    key = _load_key(key_path, passphrase, issuer_code)
    chain = _read_certificates(cert_path)
    roots = _read_certificates(ca_path)
    if not chain or not roots:
        raise SigningUnavailable(f"签发机构 {issuer_code} 的证书文件或根证书文件是空的。")
    leaf = chain[0]
    if leaf.public_key() != key.public_key():
        raise SigningUnavailable(
            f"签发机构 {issuer_code} 的私钥 {key_path.name} 与证书 {cert_path.name} 不匹配。"
        )
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    registry = SimpleCertificateStore()
    others = [_to_asn1(c) for c in chain[1:] + roots]
    registry.register_multiple(others)
    certificate = _to_asn1(leaf)
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=registry,
    )
    # The CMS object holds the certificates, the signed attributes (~300 bytes) and the
    # signature (at most 512 bytes for RSA-4096): 2 KiB on top of the certificates is ample.
    embedded = len(certificate.dump()) + sum(len(c.dump()) for c in others)
    return IssuerSigner(
        issuer_code=issuer_code,
        name=_subject_name(leaf.subject) or issuer_code,
        signer=signer,
        certificate=certificate,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        bytes_reserved=2 * (embedded + 2048),
        stamp=stamp or (),
    )


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ensure_demo_ca(directory: Path) -> None:
    """Generate the demo CA unless both its files are there. Call under :func:`_locked`."""
    key_path, cert_path = directory / CA_KEY_FILE, directory / CA_FILE
    if key_path.is_file() and cert_path.is_file():
        return
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zhongchuang"),
            # Each install's demo CA has a name of its own: another install's documents
            # then find no chain here at all, rather than a chain that fails.
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"安装 {secrets.token_hex(6)}"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA_NAME),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(DEMO_VALID_FROM)
        .not_valid_after(DEMO_VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key first: whoever sees ca.crt finds its key.
    _write_atomic(key_path, _key_pem(key), 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    log.info("generated the demo signing CA in %s (development and tests only)", directory)


def _issue_demo_certificate(directory: Path, issuer_code: str, issuer_name: str) -> None:
    """Issue the issuer a certificate from the demo CA. Call under :func:`_locked`."""
    key_path, cert_path, ca_path = _issuer_files(directory, issuer_code)
    ca_cert = _read_certificates(ca_path)[0]
    loaded = serialization.load_pem_private_key(
        (directory / CA_KEY_FILE).read_bytes(), password=None
    )
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise SigningUnavailable(f"演示根证书私钥 {directory / CA_KEY_FILE} 不是 EC 私钥。")
    ca_key: CertificateIssuerPrivateKeyTypes = loaded
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer_name),
            x509.NameAttribute(NameOID.COMMON_NAME, issuer_name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(DEMO_VALID_FROM)
        .not_valid_after(DEMO_VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_atomic(key_path, _key_pem(key), 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    log.info("issued a demo signing certificate for %s (%s)", issuer_code, issuer_name)


def _demo_certificate_ok(directory: Path, signer: IssuerSigner, issuer_name: str) -> bool:
    """The issuer's demo certificate names it and was issued by the CA now on disk."""
    if signer.name != issuer_name:
        return False
    leaf = x509.load_der_x509_certificate(signer.certificate.dump())
    try:
        leaf.verify_directly_issued_by(_read_certificates(directory / CA_FILE)[0])
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def demo_signer(directory: Path | str, issuer_code: str, issuer_name: str) -> IssuerSigner:
    """The issuer's signer from a demo directory, generating the demo CA and the issuer's
    certificate there when missing (or when the certificate names someone else or was
    issued by a CA no longer there). Always returns what is on disk afterwards."""
    directory = Path(directory)
    _check_code(issuer_code)
    try:
        found = load_signer(directory, issuer_code)
        if _demo_certificate_ok(directory, found, issuer_name):
            return found
    except SigningUnavailable:
        pass  # missing, or half-replaced by another process: look again under the lock
    with _locked(directory):
        _ensure_demo_ca(directory)
        try:
            found = load_signer(directory, issuer_code)
            current = _demo_certificate_ok(directory, found, issuer_name)
        except SigningUnavailable:
            current = False
        if not current:
            _issue_demo_certificate(directory, issuer_code, issuer_name)
        return load_signer(directory, issuer_code)


def cached_signer(source: SigningSource, issuer_code: str, issuer_name: str) -> IssuerSigner:
    """The issuer's signer, kept per process by (directory, issuer code). Reloaded when its
    files were replaced (a few ``stat`` calls per use)."""
    key = (str(source.directory), _check_code(issuer_code))
    found = _SIGNERS.get(key)
    if found is not None:
        fresh = _stamp(_issuer_files(source.directory, issuer_code)) == found.stamp
        if fresh and (not source.demo or found.name == issuer_name):
            return found
    if source.demo:
        loaded = demo_signer(source.directory, issuer_code, issuer_name)
    else:
        loaded = load_signer(source.directory, issuer_code, passphrase=source.passphrase)
        if loaded.name != issuer_name:
            log.warning(
                "signing certificate of %s names %r, documents print %r",
                issuer_code,
                loaded.name,
                issuer_name,
            )
    with _CACHE_LOCK:
        _SIGNERS[key] = loaded
    return loaded


def clear_cache() -> None:
    """Forget the loaded signers and trust roots of this process (tests, key rotation)."""
    with _CACHE_LOCK:
        _SIGNERS.clear()
        _ROOTS.clear()


def load_trust_roots(directory: Path | str) -> list[Any]:
    """The certificates of ``directory/ca.crt`` (asn1crypto), kept per process until the
    file changes. :class:`SigningUnavailable` when it is missing or unreadable."""
    path = Path(directory) / CA_FILE
    stamp = _stamp((path,))
    if stamp is None:
        raise SigningUnavailable(f"签章根证书文件 {path} 不存在。")
    found = _ROOTS.get(str(path))
    if found is not None and found[0] == stamp[0]:
        return list(found[1])
    roots = [_to_asn1(c) for c in _read_certificates(path)]
    with _CACHE_LOCK:
        _ROOTS[str(path)] = (stamp[0], roots)
    return list(roots)


# --- signing --------------------------------------------------------------------------------


def sign_with(
    signer: IssuerSigner,
    pdf: bytes,
    *,
    reason: str,
    location: str = DEFAULT_LOCATION,
) -> bytes:
    """``pdf`` with an invisible PAdES B-B signature of ``signer`` appended."""
    now = datetime.now(UTC)
    if not signer.not_before <= now <= signer.not_after:
        raise SigningUnavailable(
            f"签发机构 {signer.issuer_code} 的签章证书不在有效期内"
            f"（{signer.not_before:%Y-%m-%d} 至 {signer.not_after:%Y-%m-%d}）。"
        )
    meta = signers.PdfSignatureMetadata(
        field_name=f"ZC-{signer.issuer_code}-{secrets.token_hex(4)}",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=signer.name,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = _outside_event_loop(
        signers.PdfSigner(meta, signer=signer.signer).sign_pdf,
        writer,
        bytes_reserved=signer.bytes_reserved,
    )
    return bytes(out.getbuffer())


T = TypeVar("T")


def _outside_event_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """pyHanko's blocking calls run ``asyncio.run`` inside: where this thread already runs
    an event loop (an async server, a test tool), they run in a thread of their own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


# --- verifying ------------------------------------------------------------------------------


def _signing_time(sig: EmbeddedPdfSignature) -> datetime | None:
    try:
        return sig.self_reported_timestamp
    except Exception:  # noqa: BLE001 - a damaged date is judged by the signature check
        return None


def _trust_problem(status: PdfSignatureStatus) -> str:
    indic = status.trust_problem_indic
    if indic in (AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND, AdESIndeterminate.GENERIC, None):
        return UNTRUSTED
    if indic in (
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
        AdESIndeterminate.NOT_YET_VALID,
        AdESIndeterminate.EXPIRED,
    ):
        return OUT_OF_PERIOD
    if indic in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE):
        return REVOKED
    if indic in (
        AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
        AdESIndeterminate.SIG_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        return CERT_UNUSABLE
    return UNTRUSTED


def _padding_clean(sig: EmbeddedPdfSignature) -> bool:
    """The room reserved for the signature holds the CMS object and zeros after it, as
    written: nothing can hide there (it lies outside the signed byte range)."""
    content: bytes = sig.pkcs7_content
    _, _, _, header, body, trailer = asn1_parser.parse(content)
    used = len(header) + len(body) + len(trailer)
    return content[used:].strip(b"\x00") == b""


def _check_one(sig: EmbeddedPdfSignature, roots: Sequence[Any], last: bool) -> SignatureCheck:
    signed_at = _signing_time(sig)
    context = ValidationContext(
        trust_roots=list(roots),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=signed_at,
    )
    status = _outside_event_loop(validate_pdf_signature, sig, context, skip_diff=True)
    signer = _subject_name(x509.load_der_x509_certificate(status.signing_cert.dump()).subject)
    intact = bool(status.intact and status.valid) and _padding_clean(sig)
    trusted = bool(status.trusted)
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        not last and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    )
    problem: str | None = None
    if not intact:
        problem = MODIFIED
    elif not covers:
        problem = NOT_COVERED
    elif not trusted:
        problem = _trust_problem(status)
    elif not status.bottom_line:
        problem = NOT_CONFORMING
    return SignatureCheck(
        valid=problem is None,
        intact=intact,
        trusted=trusted,
        signer=signer,
        problem=problem,
        signed_at=signed_at,
    )


def _verify(pdf: bytes, roots: Sequence[Any]) -> SignatureCheck:
    if b"%PDF-" not in pdf[:1024]:
        return SignatureCheck(False, False, False, None, UNREADABLE)
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    signatures = reader.embedded_regular_signatures
    if not signatures:
        # A signature dictionary no form field leads to: a signed file that was changed.
        problem = DAMAGED if b"/ByteRange" in pdf else NO_SIGNATURE
        return SignatureCheck(False, False, False, None, problem)
    checks = [
        _check_one(sig, roots, last=i == len(signatures) - 1) for i, sig in enumerate(signatures)
    ]
    failed = next((c for c in checks if not c.valid), None)
    return failed or checks[-1]


def verify_with(pdf: bytes, roots: Sequence[Any]) -> SignatureCheck:
    """Verify every signature of ``pdf`` against ``roots`` (asn1crypto certificates). The
    last one must cover the whole file. Never raises on any bytes."""
    try:
        data = bytes(pdf)
    except (TypeError, ValueError):
        return SignatureCheck(False, False, False, None, UNREADABLE)
    try:
        return _verify(data, roots)
    except Exception:  # any bytes get an answer, never an exception
        log.info("signature check failed on unreadable input", exc_info=True)
        damaged = b"%PDF-" in data[:1024] and b"/ByteRange" in data
        return SignatureCheck(False, False, False, None, DAMAGED if damaged else UNREADABLE)


# --- the running app ------------------------------------------------------------------------


def configured_source() -> SigningSource:
    """The signing directory of the running app: ``SIGNING_DIR``, or the per-install demo
    directory ``<instance_path>/signing`` when none is set or ``SIGNING_DEMO`` is on —
    never in production."""
    from flask import current_app  # noqa: PLC0415 - the core above works without an app

    from zhongchuang.runtime import setting  # noqa: PLC0415 - idem

    configured = setting("SIGNING_DIR")
    production = setting("ENV_NAME") == "production"
    raw = setting("SIGNING_KEY_PASSPHRASE") or os.environ.get("ZC_SIGNING_KEY_PASSPHRASE")
    passphrase = raw.encode("utf-8") if isinstance(raw, str) and raw else None
    if production:
        if not configured:
            raise SigningUnavailable("生产模式未配置签章目录（环境变量 ZC_SIGNING_DIR）。")
        return SigningSource(Path(configured), demo=False, passphrase=passphrase)
    if configured and not setting("SIGNING_DEMO"):
        return SigningSource(Path(configured), demo=False, passphrase=passphrase)
    return SigningSource(Path(current_app.instance_path) / DEMO_SUBDIR, demo=True)


def sign_pdf(
    pdf: bytes,
    issuer_code: str,
    issuer_name: str,
    *,
    reason: str,
    location: str = DEFAULT_LOCATION,
) -> bytes:
    """``pdf`` signed (PAdES B-B, invisible) by the issuer's certificate.

    :class:`SigningUnavailable` when the issuer's files are missing in production."""
    signer = cached_signer(configured_source(), issuer_code, issuer_name)
    return sign_with(signer, pdf, reason=reason, location=location)


def trust_roots() -> list[Any]:
    """The trust roots of this install (asn1crypto certificates)."""
    source = configured_source()
    if source.demo and not (source.directory / CA_FILE).is_file():
        with _locked(source.directory):
            _ensure_demo_ca(source.directory)
    return load_trust_roots(source.directory)


def verify_pdf(pdf: bytes) -> SignatureCheck:
    """Check ``pdf``'s signature against this install's trust roots. Never raises on any
    bytes; an install without trust roots answers ``valid=False`` with the reason."""
    try:
        roots = trust_roots()
    except (SigningUnavailable, OSError):
        log.exception("no trust roots to verify signatures with")
        return SignatureCheck(False, False, False, None, NO_ROOTS)
    return verify_with(pdf, roots)


def signer_certificate_pem(issuer_code: str, issuer_name: str) -> bytes:
    """The issuer's signing certificate, PEM (for a "download certificate" link)."""
    signer = cached_signer(configured_source(), issuer_code, issuer_name)
    der = signer.certificate.dump()
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
