"""Where the project's SQL lives: the models and the DDL ship beside the package."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
DDL_DIR = PROJECT_ROOT / "sql" / "ddl"
