"""The README documents every setting the code reads."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_in_the_readme():
    code = (REPO / "src" / "coachbook" / "settings.py").read_text()
    code += (REPO / "tests" / "test_browser.py").read_text()
    names = set(re.findall(r'"((?:COACHBOOK|DATABASE)_[A-Z_]+)"', code))
    readme = (REPO / "README.md").read_text()

    assert names, "no settings found; has settings.py moved?"
    assert sorted(n for n in names if f"`{n}`" not in readme) == []


def test_the_readme_starts_with_the_two_commands():
    readme = (REPO / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]

    assert "./bin/demo" in first_block
    assert "./bin/test" in first_block
    assert "./bin/test" in (REPO / ".ci" / "run").read_text()
