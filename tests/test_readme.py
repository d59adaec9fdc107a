"""The README shows the quick start and the permission matrix the code enforces."""

from pathlib import Path

from collisionos.domain.permissions import matrix_markdown

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_quick_start_comes_first() -> None:
    assert README.index("make run") < README.index("## Configuration")
    assert "make test" in README


def test_the_permission_matrix_in_the_readme_is_the_one_enforced() -> None:
    assert matrix_markdown() in README
