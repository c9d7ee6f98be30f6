"""How the code is laid out: rules that keep areas apart."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
BLUEPRINTS = sorted(p.parent.name for p in APP.glob("*/__init__.py") if (p.parent / "routes.py").exists()
                    or p.parent.name == "api")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("area", BLUEPRINTS)
def test_no_blueprint_imports_another_blueprint(area):
    """A helper two areas share lives in services or a neutral module (app/forms.py,
    app/uploads.py), never in one blueprint imported by the other."""
    others = [b for b in BLUEPRINTS if b != area]
    for path in (APP / area).glob("*.py"):
        for name in _imports(path):
            parts = name.split(".")
            assert not (len(parts) > 1 and parts[0] == "app" and parts[1] in others), \
                f"{path.relative_to(APP.parent)} imports {name}"


def test_the_scan_finds_the_blueprints():
    assert {"needs", "projects", "admin", "auth", "main", "api", "editions"} <= set(BLUEPRINTS)


ROLE_CHECKS = ("is_admin", "has_role(")


def test_pages_ask_the_rule_table_instead_of_checking_roles():
    """What a page shows or allows is decided by permissions.can (a RULES entry), as for
    objects; a role test in a template or a view would drift from the table."""
    files = [p for p in (APP / "templates").rglob("*.html") if "editions" not in p.parts]
    files += [p for p in APP.glob("*/routes.py") if p.parent.name != "editions"]
    files += list((APP / "api").glob("*.py"))
    found = [f"{p.relative_to(APP.parent)}: {check}" for p in files
             for check in ROLE_CHECKS if check in p.read_text(encoding="utf-8")]
    assert not found
