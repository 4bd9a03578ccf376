"""Shared fixtures: PostgreSQL URL, real-data folder, markers that skip with a clear reason."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("TAXLOOP_REALDATA", REPO.parent / "shared" / "realdata"))
PG_URL = os.environ.get("TAXLOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def _plan_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Scans run by tests keep their plan cache (``taxloop.features.plan_cache``) in a temporary folder, not in
    the user's ~/.cache."""
    old = os.environ.get("TAXLOOP_PLAN_CACHE")
    os.environ["TAXLOOP_PLAN_CACHE"] = str(tmp_path_factory.mktemp("plan_cache"))
    yield
    if old is None:
        os.environ.pop("TAXLOOP_PLAN_CACHE", None)
    else:
        os.environ["TAXLOOP_PLAN_CACHE"] = old


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The shared real-data folder, or skip with the reason."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent: real-data tests skipped")
    return REALDATA


def _java_available() -> bool:
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark_session():  # type: ignore[no-untyped-def]
    """One local Spark session for the whole test run (skips when PySpark or Java is missing)."""
    pyspark = pytest.importorskip("pyspark", reason="PySpark not installed: Spark tests skipped")
    if not _java_available():
        pytest.skip("java not found: Spark tests skipped")
    from pyspark.sql import SparkSession

    assert pyspark
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("taxloop-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the test PostgreSQL; skips unless reachable (CI=true makes it required in .ci/run)."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as con:
            con.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable: {exc}")
    return PG_URL
