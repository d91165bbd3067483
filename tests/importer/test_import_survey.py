"""The encoder table's data file (docs/encoders.json) against fresh imports of its models:
a few cheap ones by default, every model of the survey with ``-m slow`` (minutes). A row
that no longer agrees means the importer or a library changed what the table states:
rerun ``python -m segkit.docgen.encoder_survey``, then ``segkit docs``."""
from __future__ import annotations

from pathlib import Path

import pytest

from segkit.docgen.encoder_data import SURVEY, TOLERANCE, load
from segkit.docgen.encoder_survey import measure

pytest.importorskip("timm")
pytest.importorskip("torchvision")

RECORDED = load(Path(__file__).resolve().parents[2])
CHEAP = ("timm:resnet18", "timm:mobilenetv2_100", "torchvision:regnet_y_400mf")


def agrees(source: str):
    """The recorded row of ``source``, asserted to be what importing it measures now."""
    fresh, recorded = measure(source), RECORDED.row(source)
    rerun = f"docs/encoders.json is stale for {source}: rerun `python -m segkit.docgen.encoder_survey {source}`"
    assert fresh.model_dump(exclude={"max_abs_diff"}) == recorded.model_dump(exclude={"max_abs_diff"}), rerun
    assert fresh.max_abs_diff == pytest.approx(recorded.max_abs_diff, abs=TOLERANCE), rerun
    return recorded


def test_the_data_file_has_a_row_for_every_model_of_the_survey_in_order():
    assert tuple(row.source for row in RECORDED.rows) == SURVEY


@pytest.mark.parametrize("source", CHEAP)
def test_a_cheap_models_row_agrees_with_a_fresh_import(source):
    assert agrees(source).exact


@pytest.mark.slow
@pytest.mark.parametrize("source", [s for s in SURVEY if s not in CHEAP])
def test_every_models_row_agrees_and_every_import_is_exact(source):
    row = agrees(source)
    assert row.exact or row.refused  # a refused row agrees only while the import is still refused
