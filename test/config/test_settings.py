"""Settings come from the environment; unset means embedded; production demands its services."""

import stat

import pytest

from pydantic_settings import BaseSettings

from config import PROJECT_ROOT, Profile, Settings
from config.settings import AnalysisSettings, DatabaseSettings, SecuritySettings
from internal.server import create_app
from test.conftest import make_settings


def test_production_refuses_to_start_without_its_settings(tmp_path):
    with pytest.raises(RuntimeError) as excinfo:
        create_app(make_settings(tmp_path, llmops_profile=Profile.PRODUCTION))
    message = str(excinfo.value)
    for name in ("JWT_SECRET_KEY", "DATA_SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "CELERY_BROKER_URL"):
        assert name in message


def test_production_refuses_a_short_jwt_secret(tmp_path):
    settings = make_settings(
        tmp_path,
        llmops_profile=Profile.PRODUCTION,
        security=SecuritySettings(_env_file=None, jwt_secret_key="short", data_secret_key="d" * 32),
        database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri="postgresql://x@127.0.0.1/x"),
    )
    settings.redis.redis_url = "redis://127.0.0.1:6379/0"
    settings.celery.celery_broker_url = "redis://127.0.0.1:6379/0"
    with pytest.raises(RuntimeError, match="at least 32"):
        settings.check()


def test_embedded_generates_a_private_jwt_key_once_and_keeps_it(tmp_path):
    first = make_settings(tmp_path).jwt_secret_key
    second = make_settings(tmp_path).jwt_secret_key
    assert first == second and len(first) >= 48
    mode = (tmp_path / "jwt_secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_production_refuses_a_short_data_secret(tmp_path):
    settings = make_settings(
        tmp_path,
        llmops_profile=Profile.PRODUCTION,
        security=SecuritySettings(_env_file=None, jwt_secret_key="j" * 32, data_secret_key="short"),
        database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri="postgresql://x@127.0.0.1/x"),
    )
    settings.redis.redis_url = "redis://127.0.0.1:6379/0"
    settings.celery.celery_broker_url = "redis://127.0.0.1:6379/0"
    with pytest.raises(RuntimeError, match="DATA_SECRET_KEY must be at least 32"):
        settings.check()


def test_embedded_generates_a_private_data_secret_apart_from_the_jwt_key(tmp_path):
    settings = make_settings(tmp_path)
    assert settings.data_secret_key == make_settings(tmp_path).data_secret_key
    assert settings.data_secret_key != settings.jwt_secret_key and len(settings.data_secret_key) >= 48
    assert stat.S_IMODE((tmp_path / "data_secret_key").stat().st_mode) == 0o600
    # One derived key per purpose.
    assert len(settings.secret_box_key) == 32 and settings.secret_box_key != settings.api_key_hash_key


def test_environment_and_dotenv_are_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("REDIS_URL=redis://from-dotenv:6379/1\nJWT_EXPIRES_IN=60\n")
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URI", "postgresql://u@db:5432/llmops")
    monkeypatch.setenv("LLMOPS_PROFILE", "production")
    settings = Settings()
    assert settings.is_production
    assert settings.redis.redis_url == "redis://from-dotenv:6379/1"
    assert settings.security.jwt_expires_in == 60
    # psycopg2 is the driver this project ships; a bare URI must not pick another one.
    assert settings.database_uri == "postgresql+psycopg2://u@db:5432/llmops"


def test_unset_database_means_sqlite_under_storage(tmp_path):
    settings = make_settings(tmp_path)
    assert settings.database_uri == f"sqlite:///{tmp_path / 'llmops.db'}" and settings.uses_sqlite


def test_every_setting_is_documented_in_env_example():
    documented = {
        line.split("=", 1)[0].strip()
        for line in (PROJECT_ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    names = {"LLMOPS_PROFILE"}
    for name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseSettings):
            names |= {field_name.upper() for field_name in group.model_fields}
    assert names - documented == set()


def test_the_analysis_time_zone_must_be_a_known_one():
    with pytest.raises(ValueError, match="analysis_timezone"):
        AnalysisSettings(_env_file=None, analysis_timezone="Mars/Olympus_Mons")
    assert AnalysisSettings(_env_file=None, analysis_timezone="America/New_York").analysis_timezone == "America/New_York"
