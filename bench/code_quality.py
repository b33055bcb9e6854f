"""Code quality: speed of a whole analysis on a large real tree, the installed Django package.

    .venv/bin/python bench/code_quality.py

Goes through the local-directory source (the package's parent directory is the allowed root),
then prints the files and lines analysed, the total time and the lines of code per second.
Nothing is written to the database.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    target = Path(django.__path__[0])
    settings.DLNUF_TOOLBOX_LOCAL_ROOTS = [str(target.parent)]
    from dlnuf.toolbox.code_quality import sources
    from dlnuf.toolbox.code_quality.runner import analyse

    root = sources.resolve_local(str(target))
    started = time.perf_counter()
    results = analyse(root, lambda percent, message: None)
    elapsed = time.perf_counter() - started
    nloc = results["size"]["nloc"]
    print(f"code quality on {root} (Django {django.get_version()})")
    print(f"  source files analysed: {results['size']['files']}")
    print(f"  lines of code: {nloc}")
    print(f"  functions: {results['complexity']['functions']}")
    duplication = results["duplication"]
    print(
        f"  duplicated lines: {duplication['duplicated_lines']} of {duplication['code_lines']}"
        f" ({duplication['rate']} %, {duplication['blocks']} copied blocks)"
    )
    print(f"  total time: {elapsed:.1f} s")
    print(f"  lines of code per second: {nloc / elapsed:,.0f}")


if __name__ == "__main__":
    main()
