"""The README's table of problem codes is the API's public documentation: it must stay complete."""

import re
from pathlib import Path

from dlnuf.exchange.errors import PROBLEMS

README = Path(__file__).resolve().parent.parent.parent / "README.md"


def test_readme_lists_every_problem_code_with_its_status() -> None:
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", README.read_text(), flags=re.MULTILINE)
    documented = {code: int(status) for status, code in rows}
    assert documented == {code: kind.status for code, kind in PROBLEMS.items()}
