"""Benchmark: import the full KATO classifier and generate the authority ladder.

    .venv/bin/python bench/import_kato.py [PATH]

Uses a fresh SQLite database in a temporary folder, and also PostgreSQL when DATABASE_URL is set
(the tables there are dropped and created: point it at a scratch database). Prints rows and seconds
for the first import, the re-import (nothing changes) and the ladder generation (first and second run).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "kato" / "kato.csv"


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    print(f"  {label:<22} {time.perf_counter() - started:7.2f} s  {result}", flush=True)
    return result


def run(url: str, path: Path, label: str) -> None:
    from core.authorities.models import Authority
    from core.authorities.services import generate_ladder
    from core.db import commit, db
    from core.territories.models import Territory
    from core.territories.services import import_file
    from wsgi import create_app

    print(f"{label}: {url.split('@')[-1]}")
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "IIN_HASH_KEY": "bench",
                "REDIS_URL": None,
                "MAIL_OUTBOX": str(Path(instance) / "outbox"),
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            for name in ("first import", "re-import"):
                timed(name, lambda: (import_file(path), commit())[0])
            for name in ("ladder", "ladder again"):
                timed(name, lambda: (generate_ladder(), commit())[0])
            levels = Counter(
                dict(db.session.execute(sa.select(Territory.level, sa.func.count()).group_by(Territory.level)).all())
            )
            kinds = db.session.execute(sa.select(Authority.kind, sa.func.count()).group_by(Authority.kind)).all()
            print(f"  territories by level: {dict(sorted(levels.items()))}, total {sum(levels.values())}")
            print(
                f"  authorities by kind: {{{', '.join(f'{k.value}: {n}' for k, n in sorted(kinds))}}}, "
                f"total {sum(n for _, n in kinds)}"
            )
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    if not path.is_file():
        sys.exit(f"{path}: no such file")
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", path, "SQLite")
    url = os.environ.get("DATABASE_URL")
    if url:
        from core.config import database_url

        run(database_url(url), path, "PostgreSQL")


if __name__ == "__main__":
    main()
