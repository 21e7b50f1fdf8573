"""Settings: defaults, a YAML file, PADDLES_* environment variables (config.py; spec §9), and the
write concern they give the database client."""
import dataclasses
import os

import pytest

from paddles_mongo.config import ConfigError, Settings, load_settings
from paddles_mongo.db import Database


@pytest.fixture
def empty_dir(tmp_path, monkeypatch):
    """A working directory without config.yaml."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_yaml(directory, text, name="settings.yaml"):
    path = directory / name
    path.write_text(text)
    return str(path)


# --- defaults -----------------------------------------------------------------------------------

def test_defaults_without_file_or_environment(empty_dir):
    assert load_settings(environ={}) == Settings()


def test_defaults_with_empty_file(empty_dir):
    assert load_settings(path=os.devnull, environ={}) == Settings()


def test_spec_defaults(empty_dir):
    settings = load_settings(environ={})
    assert settings.default_latest_runs_count == 25          # §2.7
    assert settings.default_jobs_count == 10                 # §3.4
    assert settings.job_log_href_templ == \
        "http://qa-proxy.ceph.com/teuthology/{run_name}/{job_id}/teuthology.log"  # §4.2
    assert settings.server_port == 8080                      # §9
    assert settings.server_host == "127.0.0.1"               # §9
    assert settings.timezone == "UTC"                        # §5.5
    assert settings.sentry_dsn == ""                         # Sentry off unless set


def test_int_settings_are_ints_by_default(empty_dir):
    settings = load_settings(environ={})
    for name in ("default_latest_runs_count", "default_jobs_count", "server_port",
                 "statsd_port", "worker_count", "max_content_length"):
        assert isinstance(getattr(settings, name), int), name


# --- YAML file ----------------------------------------------------------------------------------

def test_yaml_file_overrides_defaults(empty_dir):
    path = write_yaml(empty_dir, "address: http://paddles.example\n"
                                 "default_latest_runs_count: 40\n"
                                 "timezone: America/New_York\n")
    settings = load_settings(path=path, environ={})
    assert settings.address == "http://paddles.example"
    assert settings.default_latest_runs_count == 40
    assert settings.timezone == "America/New_York"
    assert settings.server_port == Settings().server_port  # untouched settings keep defaults


def test_config_yaml_in_working_directory_is_read(empty_dir):
    write_yaml(empty_dir, "server_port: 9001\n", name="config.yaml")
    assert load_settings(environ={}).server_port == 9001


def test_paddles_config_environment_variable_names_the_file(empty_dir):
    path = write_yaml(empty_dir, "server_port: 9002\n", name="elsewhere.yaml")
    assert load_settings(environ={"PADDLES_CONFIG": path}).server_port == 9002


def test_yaml_int_given_as_numeric_string_is_coerced(empty_dir):
    path = write_yaml(empty_dir, "server_port: '9003'\n")
    assert load_settings(path=path, environ={}).server_port == 9003


def test_unknown_yaml_key_raises_config_error(empty_dir):
    path = write_yaml(empty_dir, "server_port: 9000\nno_such_setting: 1\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path=path, environ={})
    assert "no_such_setting" in str(error.value)


def test_a_retired_setting_in_a_file_is_accepted_and_ignored(empty_dir):
    """A settings file written for an earlier release still loads."""
    path = write_yaml(empty_dir, "server_port: 9000\njob_stats_cache_seconds: 60\n")
    settings = load_settings(path=path, environ={})
    assert settings.server_port == 9000
    assert not hasattr(settings, "job_stats_cache_seconds")


def test_yaml_that_is_not_a_mapping_raises_config_error(empty_dir):
    path = write_yaml(empty_dir, "- a\n- b\n")
    with pytest.raises(ConfigError):
        load_settings(path=path, environ={})


@pytest.mark.parametrize("text", ["server_port: eighty\n", "server_port: [1, 2]\n",
                                  "default_latest_runs_count: {a: 1}\n",
                                  "statsd_port: 12.5x\n"])
def test_yaml_int_coercion_error_raises_config_error(empty_dir, text):
    path = write_yaml(empty_dir, text)
    with pytest.raises(ConfigError):
        load_settings(path=path, environ={})


# --- environment --------------------------------------------------------------------------------

def test_environment_overrides_defaults(empty_dir):
    settings = load_settings(environ={"PADDLES_ADDRESS": "http://env.example",
                                      "PADDLES_SERVER_PORT": "8181"})
    assert settings.address == "http://env.example"
    assert settings.server_port == 8181


def test_environment_wins_over_yaml(empty_dir):
    path = write_yaml(empty_dir, "server_port: 9000\naddress: http://yaml.example\n"
                                 "statsd_prefix: from.yaml\n")
    settings = load_settings(path=path, environ={"PADDLES_SERVER_PORT": "9100",
                                                 "PADDLES_ADDRESS": "http://env.example"})
    assert settings.server_port == 9100
    assert settings.address == "http://env.example"
    assert settings.statsd_prefix == "from.yaml"  # not in the environment: YAML value stays


@pytest.mark.parametrize("name,value,expected", [
    ("PADDLES_MONGO_URI", "mongodb://db.example:27017/p", "mongodb://db.example:27017/p"),
    ("PADDLES_JOB_LOG_HREF_TEMPL", "http://logs/{run_name}/{job_id}",
     "http://logs/{run_name}/{job_id}"),
    ("PADDLES_STATSD_HOST", "statsd.example", "statsd.example"),
    ("PADDLES_STATSD_PREFIX", "ceph.test", "ceph.test"),
    ("PADDLES_SERVER_HOST", "0.0.0.0", "0.0.0.0"),
    ("PADDLES_WORKER_COUNT", "4", 4),
    ("PADDLES_DEFAULT_LATEST_RUNS_COUNT", "20", 20),
    ("PADDLES_TIMEZONE", "Europe/Berlin", "Europe/Berlin"),
])
def test_each_paddles_environment_variable_sets_its_setting(empty_dir, name, value, expected):
    setting = name[len("PADDLES_"):].lower()
    assert getattr(load_settings(environ={name: value}), setting) == expected


def test_sentry_dsn_alias(empty_dir):
    settings = load_settings(environ={"SENTRY_DSN": "https://key@sentry.example/1"})
    assert settings.sentry_dsn == "https://key@sentry.example/1"


def test_paddles_sentry_dsn_also_works(empty_dir):
    settings = load_settings(environ={"PADDLES_SENTRY_DSN": "https://key@sentry.example/2"})
    assert settings.sentry_dsn == "https://key@sentry.example/2"


def test_environment_names_without_prefix_are_ignored(empty_dir):
    settings = load_settings(environ={"SERVER_PORT": "1", "ADDRESS": "http://x"})
    assert settings.server_port == Settings().server_port
    assert settings.address == Settings().address


@pytest.mark.parametrize("name,value", [("PADDLES_SERVER_PORT", "eighty"),
                                        ("PADDLES_SERVER_PORT", ""),
                                        ("PADDLES_WORKER_COUNT", "2.5"),
                                        ("PADDLES_DEFAULT_JOBS_COUNT", "ten")])
def test_environment_int_coercion_error_raises_config_error(empty_dir, name, value):
    with pytest.raises(ConfigError):
        load_settings(environ={name: value})


def test_keyword_overrides_win_over_environment(empty_dir):
    settings = load_settings(environ={"PADDLES_SERVER_PORT": "9100"}, server_port=9200)
    assert settings.server_port == 9200


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_settings_are_immutable(empty_dir):
    settings = load_settings(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.server_port = 1


# --- write concern ------------------------------------------------------------------------------

def client_write_concern(**overrides):
    """The write concern of the MongoClient a Database builds from these settings (it does not
    connect)."""
    database = Database(load_settings(path=os.devnull, environ={}, **overrides))
    try:
        return database.client.write_concern.document
    finally:
        database.close()


def test_writes_are_journaled_on_a_majority_by_default(empty_dir):
    assert load_settings(environ={}).mongo_write_concern == "journaled"
    assert client_write_concern() == {"w": "majority", "j": True}


def test_acknowledged_write_concern_is_relaxed(empty_dir):
    assert (load_settings(environ={"PADDLES_MONGO_WRITE_CONCERN": "acknowledged"})
            .mongo_write_concern == "acknowledged")
    assert client_write_concern(mongo_write_concern="acknowledged") == {"w": 1, "j": False}


@pytest.mark.parametrize("query,expected", [
    ("w=2", {"w": 2, "j": True}),
    ("Journal=false", {"w": "majority", "j": False}),
    ("w=1&journal=true&wtimeoutMS=10000", {"w": 1, "j": True, "wtimeout": 10000}),
])
def test_the_uris_own_write_concern_options_win(empty_dir, query, expected):
    uri = f"mongodb://db1,db2/paddles?replicaSet=rs0&{query}"
    assert client_write_concern(mongo_uri=uri) == expected


@pytest.mark.parametrize("value", ["majority", "JOURNALED", ""])
def test_unknown_write_concern_raises_config_error(empty_dir, value):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PADDLES_MONGO_WRITE_CONCERN": value})
    assert "mongo_write_concern must be one of journaled, acknowledged" in str(error.value)
