"""Settings: defaults < nimbus.toml < NIMBUS_* environment < command-line flags."""

from __future__ import annotations

import tomllib
from pathlib import Path

from nimbus.config import DEFAULT_PORT, Settings, default_data_dir, load_settings


def write_toml(data_dir: Path, text: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "nimbus.toml").write_text(text)


def test_defaults_without_file_env_or_flags(tmp_path):
    settings = load_settings(tmp_path, environ={})
    assert settings.port == DEFAULT_PORT
    assert settings.host == "127.0.0.1"
    assert settings.effective_public_url == f"http://127.0.0.1:{DEFAULT_PORT}"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'nimbus.db'}"
    assert settings.security_compliance.lockout_failure_attempts == 0


def test_file_then_env_then_flags(tmp_path):
    write_toml(tmp_path, 'port = 6001\nregion = "FileRegion"\nlog_level = "debug"\n')
    env = {"NIMBUS_PORT": "6002", "NIMBUS_REGION": "EnvRegion"}
    settings = load_settings(tmp_path, {"port": 6003}, environ=env)
    assert settings.port == 6003  # flag beats env and file
    assert settings.region == "EnvRegion"  # env beats file
    assert settings.log_level == "debug"  # file beats default


def test_env_beats_file(tmp_path):
    write_toml(tmp_path, "port = 6001\n")
    assert load_settings(tmp_path, environ={"NIMBUS_PORT": "6002"}).port == 6002


def test_unset_flags_do_not_override(tmp_path):
    write_toml(tmp_path, "port = 6001\n")
    assert load_settings(tmp_path, {"port": None}, environ={}).port == 6001


def test_nested_section_from_file_and_env(tmp_path):
    write_toml(tmp_path, "[security_compliance]\nlockout_failure_attempts = 3\n"
                         "lockout_duration = 60\n")
    env = {"NIMBUS_SECURITY_COMPLIANCE__LOCKOUT_DURATION": "5",
           "NIMBUS_SECURITY_COMPLIANCE__CHANGE_PASSWORD_UPON_FIRST_USE": "true"}
    sc = load_settings(tmp_path, environ=env).security_compliance
    assert sc.lockout_failure_attempts == 3
    assert sc.lockout_duration == 5
    assert sc.change_password_upon_first_use is True


def test_env_values_are_coerced_to_the_field_type(tmp_path):
    env = {"NIMBUS_WORKERS": "4", "NIMBUS_SECURITY_COMPLIANCE__CHANGE_PASSWORD_UPON_FIRST_USE":
           "no", "NIMBUS_DATABASE_URL": "postgresql://db/nimbus"}
    settings = load_settings(tmp_path, environ=env)
    assert settings.workers == 4
    assert settings.security_compliance.change_password_upon_first_use is False
    assert settings.effective_database_url == "postgresql://db/nimbus"


def test_data_dir_from_env_and_flag(tmp_path):
    from_env = load_settings(environ={"NIMBUS_DATA_DIR": str(tmp_path / "env")})
    assert from_env.data_dir == tmp_path / "env"
    from_flag = load_settings(tmp_path / "flag", environ={"NIMBUS_DATA_DIR": str(tmp_path)})
    assert from_flag.data_dir == tmp_path / "flag"


def test_the_file_is_read_from_the_chosen_data_dir(tmp_path):
    write_toml(tmp_path / "env", "port = 6100\n")
    settings = load_settings(environ={"NIMBUS_DATA_DIR": str(tmp_path / "env")})
    assert settings.port == 6100


def test_default_data_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "nimbus"


def test_to_toml_round_trips(tmp_path):
    original = Settings(data_dir=tmp_path, port=6200, public_url='http://a "quoted" host')
    original.security_compliance.password_regex = r"^(?=.*\d).{8,}$"
    original.security_compliance.change_password_upon_first_use = True
    write_toml(tmp_path, original.to_toml())
    assert "data_dir" not in tomllib.loads(original.to_toml())
    loaded = load_settings(tmp_path, environ={})
    assert loaded == original


def test_public_url_for_wildcard_and_ipv6_hosts(tmp_path):
    assert Settings(host="0.0.0.0", port=1).effective_public_url == "http://127.0.0.1:1"
    assert Settings(host="::1", port=2).effective_public_url == "http://[::1]:2"
    assert Settings(public_url="https://cloud.example/").effective_public_url == \
        "https://cloud.example"


def test_oidc_issuers_per_identity_provider_from_file_and_env(tmp_path):
    write_toml(tmp_path, '[federation]\noidc_protocols = "openid,oidc"\n\n'
                         '[federation.oidc.acme]\nissuer = "https://acme.example"\n'
                         'jwks_file = "/etc/acme.jwks"\n')
    settings = load_settings(tmp_path, environ={
        "NIMBUS_FEDERATION__OIDC__OTHER__ISSUER": "https://other.example",
        "NIMBUS_FEDERATION__OIDC__OTHER__LEEWAY": "30"})
    acme = settings.federation.oidc_issuer("acme")
    assert acme is not None and acme.issuer == "https://acme.example"
    assert acme.jwks_file == "/etc/acme.jwks" and acme.claim_prefix == "OIDC-"
    other = settings.federation.oidc_issuer("OTHER")
    assert other is not None and other.issuer == "https://other.example" and other.leeway == 30
    assert settings.federation.oidc_issuer("nobody") is None
    assert settings.federation.is_oidc_protocol("oidc")
    assert not settings.federation.is_oidc_protocol("saml2")
    # The file written on the first run stays valid TOML with the federation section in it.
    assert tomllib.loads(settings.to_toml())["federation"]["oidc"]["acme"]["issuer"] == \
        "https://acme.example"
