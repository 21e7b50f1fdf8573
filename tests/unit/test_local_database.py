"""The local database is always started durable: every commit synced before it acknowledges."""
import subprocess

from paddles_mongo.commands import serve


def test_the_local_database_syncs_its_journal_at_every_commit(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **options: started.append(args))
    serve.start_local_mongo(str(tmp_path / "data"), 27999)
    serve.start_local_mongo(str(tmp_path / "data"), 27999, quiet=True)
    assert len(started) == 2
    assert all("--sync-on-commit" in args for args in started)
