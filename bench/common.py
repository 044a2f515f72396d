"""What the benchmark scripts share: the PostgreSQL server they use and their scratch databases."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KATO_SAMPLE = ROOT.parent / "shared" / "data" / "kato" / "kato_sample.csv"


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    print(f"  {label:<34} {elapsed:8.2f} s", flush=True)
    return result, elapsed


def server_url() -> sa.URL:
    from core.config import database_url

    return make_url(database_url(os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1/postgres"))


def recreate_database(url: sa.URL, name: str) -> sa.URL:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name)


def drop_database(url: sa.URL, name: str) -> None:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
