"""Sign-in for the import: azure-identity for Entra ID (secret or certificate), loopback for the emulator."""

import asyncio
import datetime

import pytest
from azure.identity import CertificateCredential, ClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from connectors.teams.credential import (
    LoopbackSecretCredential,
    ThreadedCredential,
    make_credential,
    signed_in_as,
)
from connectors.teams.plan import ConnectionSection
from rsemigrate.errors import InputError

TENANT, CLIENT = "11111111-1111-1111-1111-111111111111", "00000000-0000-0000-0000-0000000e0a11"


def connection(**changes):
    return ConnectionSection(**({"tenant_id": TENANT, "client_id": CLIENT} | changes))


def test_a_client_secret_from_the_environment_gives_azure_identity(monkeypatch, tmp_path):
    monkeypatch.setenv("RSEMIGRATE_TEAMS_CLIENT_SECRET", "s3cret")
    made = make_credential(connection(), tmp_path)
    assert isinstance(made, ThreadedCredential) and isinstance(made._credential, ClientSecretCredential)


def test_a_client_secret_file_wins(monkeypatch, tmp_path):
    monkeypatch.delenv("RSEMIGRATE_TEAMS_CLIENT_SECRET", raising=False)
    (tmp_path / "secret.txt").write_text("s3cret\n")
    made = make_credential(connection(client_secret_file="secret.txt"), tmp_path)
    assert isinstance(made._credential, ClientSecretCredential)


def test_a_missing_secret_names_where_to_put_it(monkeypatch, tmp_path):
    monkeypatch.delenv("RSEMIGRATE_TEAMS_CLIENT_SECRET", raising=False)
    with pytest.raises(
        InputError, match="the import needs the app's client secret.*RSEMIGRATE_TEAMS_CLIENT_SECRET"
    ):
        make_credential(connection(), tmp_path)


def test_a_certificate_gives_azure_identity_certificate_credential(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rsemigrate")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "app.pem").write_bytes(pem)
    made = make_credential(connection(client_certificate_file="app.pem"), tmp_path)
    assert isinstance(made._credential, CertificateCredential)


def test_plain_http_is_only_for_a_loopback_emulator(monkeypatch, tmp_path):
    monkeypatch.setenv("RSEMIGRATE_TEAMS_CLIENT_SECRET", "s3cret")
    assert isinstance(make_credential(connection(login_url="http://127.0.0.1:8765"), tmp_path),
                      LoopbackSecretCredential)
    with pytest.raises(InputError, match="loopback"):
        make_credential(connection(login_url="http://login.example.com"), tmp_path)


def test_the_import_needs_the_app_registration(tmp_path):
    with pytest.raises(InputError, match="tenant_id and teams.client_id"):
        make_credential(ConnectionSection(), tmp_path)


def test_sign_in_reads_the_app_identity_and_never_shows_the_secret(emulator):
    good = LoopbackSecretCredential(emulator.token_url, CLIENT, "emulator-secret")
    assert asyncio.run(signed_in_as(good, connection())).app == CLIENT
    bad = LoopbackSecretCredential(emulator.token_url, CLIENT, "wrong-secret-value")
    with pytest.raises(InputError, match="sign-in refused") as refused:
        asyncio.run(bad.get_token())
    assert "wrong-secret-value" not in str(refused.value)
