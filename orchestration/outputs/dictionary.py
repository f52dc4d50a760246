"""The data dictionary: every table's contract and checks, as one markdown page."""

from __future__ import annotations

from orchestration.paths import PROJECT_ROOT
from orchestration.warehouse.contracts import Model, load_models, raw_contracts
from orchestration.warehouse.validation import Check

DICTIONARY_PATH = PROJECT_ROOT / "docs" / "data_dictionary.md"
HEADER = """# Data dictionary

Generated from the contracts in `models/` by `make docs`; do not edit by hand. The meaning
of every published (`marts.*`) column is fixed by its mart's contract and SQL in `models/marts/`.
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
    ]
    if model.sql:
        lines += [
            f"- Built from: {', '.join(f'`{d}`' for d in model.depends_on)}",
            f"- SQL: `models/{model.layer}/{model.name}.sql`",
        ]
    lines += ["", "| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in model.columns]
    if model.checks:
        lines += ["", "| check | severity | expectation |", "|---|---|---|"]
        lines += [
            f"| `{c.name}` | {'quarantine' if c.quarantines else c.severity} | {_cell(_rule(c))} |"
            for c in model.checks
        ]
    return "\n".join(lines)


def _rule(check: Check) -> str:
    arguments = ", ".join(f"{k}={v}" for k, v in check.arguments.items())
    rule = f"`{check.expect}({arguments})`"
    computed = {n: e for n, e in check.columns.items() if n != e}
    if check.query:
        rule += f" on `{check.query}`"
    elif computed:
        rule += " where " + ", ".join(
            f"`{n}` = `{' '.join(e.split())}`" for n, e in computed.items()
        )
    return f"{check.description}: {rule}" if check.description else rule


LAYER_ORDER = {"marts": 0, "staging": 1, "raw": 2}


def render_dictionary() -> str:
    """The dictionary page of every table with a contract: marts, then staging, then raw."""
    models = [*load_models(), *raw_contracts().values()]
    ordered = sorted(models, key=lambda m: (LAYER_ORDER[m.layer], m.table))
    return HEADER + "\n" + "\n\n".join(_table_section(m) for m in ordered) + "\n"


def write_dictionary() -> None:
    """Write docs/data_dictionary.md from the contracts."""
    DICTIONARY_PATH.parent.mkdir(exist_ok=True)
    DICTIONARY_PATH.write_text(render_dictionary())
