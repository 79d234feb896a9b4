"""Shared fixtures for the tt_tax unit tests."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from tt_tax import TaxCalculator


@pytest.fixture(scope="session")
def calculator() -> TaxCalculator:
    """A calculator on the tables shipped with tt_tax."""
    return TaxCalculator()


@pytest.fixture
def tables_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rate tables, to corrupt or extend in a test."""
    with resources.as_file(resources.files("tt_tax") / "data") as shipped:
        shutil.copytree(shipped, tmp_path / "data")
    return tmp_path / "data"
