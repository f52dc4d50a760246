"""Where the project's SQL lives: `models/` and `sql/` at the top of a checkout (an editable
install reads them there), or inside the package as a wheel ships them (`project/`)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
_SHIPPED = PACKAGE_DIR / "project"
SQL_ROOT = _SHIPPED if (_SHIPPED / "models").is_dir() else PROJECT_ROOT
MODELS_DIR = SQL_ROOT / "models"
DDL_DIR = SQL_ROOT / "sql" / "ddl"
VIEWS_DIR = SQL_ROOT / "sql" / "views"
