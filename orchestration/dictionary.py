"""The data dictionary: every staging and mart table's contract, as one markdown page."""

from __future__ import annotations

from orchestration.models import Model, load_models
from orchestration.paths import PROJECT_ROOT

DICTIONARY_PATH = PROJECT_ROOT / "docs" / "data_dictionary.md"
HEADER = """# Data dictionary

Generated from the contracts in `models/` by `make docs`; do not edit by hand. The meaning
of every published (`marts.*`) column is fixed in `shared/indicators.md`.
"""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table_section(model: Model) -> str:
    lines = [
        f"## `{model.table}`",
        "",
        _cell(model.description),
        "",
        f"- Grain: {model.grain}",
        f"- Key: {', '.join(f'`{k}`' for k in model.key)}",
        f"- Built from: {', '.join(f'`{d}`' for d in model.depends_on)}",
        f"- SQL: `models/{model.layer}/{model.name}.sql`",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in model.columns]
    return "\n".join(lines)


def render_dictionary(models: tuple[Model, ...] | None = None) -> str:
    """The dictionary page for the given models (default: all), marts first."""
    models = load_models() if models is None else models
    ordered = sorted(models, key=lambda m: (m.layer != "marts", m.table))
    return HEADER + "\n" + "\n\n".join(_table_section(m) for m in ordered) + "\n"


def write_dictionary() -> None:
    """Write docs/data_dictionary.md from the contracts."""
    DICTIONARY_PATH.parent.mkdir(exist_ok=True)
    DICTIONARY_PATH.write_text(render_dictionary())
