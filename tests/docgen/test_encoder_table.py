"""The encoder table of docs/encoders.md, rendered from docs/encoders.json between the
page's markers (exact, nearly exact and refused rows; a page without markers), and the
survey's partial rerun, with stand-ins for the slow measurement."""
from __future__ import annotations

import pytest

from segkit.docgen import encoder_survey, encoders, site
from segkit.docgen.encoder_data import SURVEY, DataFile, Output, Row, dump, load
from segkit.docgen.markdown import fill, markers
from segkit.errors import InputError

STRIDES = (2, 4, 8, 16, 32)


def _row(source, diff=0.0, outputs=None):
    outputs = outputs or tuple(Output(name=f"c{k}", stride=s, channels=16 * s) for k, s in enumerate(STRIDES, 1))
    return Row(source=source, params=11_176_512, macs=1_813_561_344, outputs=outputs, sizes="H, W >= 1",
               max_abs_diff=diff, params_match=True)


DATA = DataFile(versions={"torch": "2.9", "timm": "1.0"}, rows=(
    _row("timm:resnet18"),
    _row("timm:convnext_tiny", diff=2.8e-17, outputs=(Output(name="c2", stride=4, channels=96),
                                                      Output(name="c5", stride=32, channels=768))),
    _row("timm:wobbly", diff=0.25),
    Row(source="timm:hrnet_w18", refused="SOURCE: error: cannot create 'timm:hrnet_w18': node 'stem' is missing"),
))


def test_each_row_states_figures_strides_channels_sizes_and_exactness():
    text = encoders.section(DATA)
    assert "Measured at 3x224x224 with torch 2.9, timm 1.0 by `python -m segkit.docgen.encoder_survey`" in text
    assert ("| `timm:resnet18` | 11,176,512 | 1.81 | c1..c5 (2, 4, 8, 16, 32) | 32, 64, 128, 256, 512 "
            "| H, W >= 1 | yes |") in text
    assert "| c2, c5 (4, 32) | 96, 768 | H, W >= 1 | yes (max abs diff 3e-17) |" in text
    assert "| no: max abs diff 0.25 |" in text
    assert ("| `timm:hrnet_w18` | — | — | — | — | — | no: refused, SOURCE: error: cannot create "
            "'timm:hrnet\\_w18': node 'stem' is missing |") in text


def test_the_section_replaces_only_what_lies_between_the_markers():
    begin, end = markers("encoders")
    page = f"# Encoders\n\nhand-written\n\n{begin}\nold table\n{end}\n\nmore prose\n"
    assert fill(page, "encoders", "new table\n") == f"# Encoders\n\nhand-written\n\n{begin}\nnew table\n{end}\n\nmore prose\n"
    assert fill("# no markers\n", "encoders", "new table\n") is None


def test_a_page_without_the_markers_is_a_user_error_naming_it(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/encoders.md").write_text("# Encoders\n")
    with pytest.raises(InputError, match="docs/encoders.md has no generated encoders section") as info:
        site.fill_section(tmp_path, "docs/encoders.md", "encoders", encoders.section(DATA), "the table of encoders")
    assert markers("encoders")[0] in str(info.value)


def test_a_partial_rerun_replaces_only_its_rows_and_needs_the_recorded_versions(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/encoders.json").write_text(dump(DataFile(versions={"timm": "1.0"}, rows=(
        _row(SURVEY[0]), Row(source=SURVEY[1], refused="old")))))
    monkeypatch.setattr(encoder_survey, "versions", lambda: {"timm": "1.0"})
    monkeypatch.setattr(encoder_survey, "measure", lambda source: _row(source, diff=1e-13))
    encoder_survey.main([SURVEY[1], "--root", str(tmp_path)])
    assert load(tmp_path).rows == (_row(SURVEY[0]), _row(SURVEY[1], diff=1e-13))
    monkeypatch.setattr(encoder_survey, "versions", lambda: {"timm": "2.0"})
    with pytest.raises(SystemExit, match="rerun every model"):
        encoder_survey.main([SURVEY[1], "--root", str(tmp_path)])
