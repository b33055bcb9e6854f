"""What one test writes stays its own, so that the suite may run in several processes at once."""

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_uploads_land_outside_the_project_in_a_folder_of_the_test_own(tmp_path: Path) -> None:
    name = default_storage.save("support/piece-jointe.txt", ContentFile(b"contenu"))

    stored = Path(default_storage.path(name))
    assert stored.is_file()
    assert stored.is_relative_to(tmp_path)
    assert not Path(settings.MEDIA_ROOT).resolve().is_relative_to(PROJECT_ROOT)
