from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from dlnuf.toolbox.tech_review.manifests import KNOWN_MANIFEST_NAMES, manifest_kind
from dlnuf.toolbox.tech_review.review import DISTRIBUTIONS
from dlnuf.www.forms import PortalForm
from dlnuf.www.toolbox_views.forms import clean_repository_source

MAX_MANIFEST_BYTES = 200 * 1024
MAX_MANIFESTS = 20

SOURCE_CHOICES = [
    ("files", "Déposer un ou plusieurs manifestes (requirements.txt, package.json, pom.xml…)"),
    ("paste", "Coller le contenu d'un manifeste"),
    ("git", "Adresse d'un dépôt Git public (https)"),
    ("archive", "Archive du code (.zip, .tar, .tar.gz, .tgz)"),
]
RECOGNISED_LABEL = (
    "requirements*.txt, pyproject.toml, package.json, pom.xml, build.gradle(.kts), "
    "composer.json, Gemfile, Gemfile.lock, go.mod, *.csproj, Dockerfile, .python-version, "
    "runtime.txt, .nvmrc, .ruby-version"
)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class ManifestsField(forms.FileField):
    """Several manifests at once, each a small UTF-8 text file with a name we recognise."""

    def __init__(self, **kwargs: Any) -> None:
        widget = MultipleFileInput(attrs={"class": "fr-upload", "multiple": True})
        widget.group_class = "fr-upload-group"  # type: ignore[attr-defined]
        super().__init__(widget=widget, required=False, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[dict[str, str]]:
        uploads = [item for item in (data or []) if isinstance(item, UploadedFile)]
        if len(uploads) > MAX_MANIFESTS:
            raise forms.ValidationError(f"Déposez au plus {MAX_MANIFESTS} fichiers.")
        files: list[dict[str, str]] = []
        names: set[str] = set()
        for upload in uploads:
            # Only the last part of the name counts: a browser may send a path.
            name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
            if not manifest_kind(name):
                raise forms.ValidationError(
                    f"« {name[:80]} » n'est pas un manifeste reconnu ({RECOGNISED_LABEL})."
                )
            if (upload.size or 0) > MAX_MANIFEST_BYTES:
                raise forms.ValidationError(
                    f"« {name} » dépasse {MAX_MANIFEST_BYTES // 1024} Ko : un manifeste est un "
                    "petit fichier texte."
                )
            text = _text_of(upload.read(), name)
            unique = name
            counter = 2
            while unique in names:
                # Two package.json from two folders: kept apart, each under a folder of its own.
                unique = f"fichier-{counter}/{name}"
                counter += 1
            names.add(unique)
            files.append({"name": unique, "text": text})
        return files


def _text_of(content: bytes, name: str) -> str:
    if b"\x00" in content:
        raise forms.ValidationError(f"« {name} » n'est pas un fichier texte.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise forms.ValidationError(f"« {name} » n'est pas un texte en UTF-8.") from error


class TechReviewForm(PortalForm):
    title = forms.CharField(
        label="Intitulé du rapport",
        help_text="Par exemple le nom de l'application ; facultatif.",
        max_length=200,
        required=False,
    )
    source = forms.ChoiceField(
        label="Que voulez-vous examiner ?",
        choices=SOURCE_CHOICES,
        widget=forms.RadioSelect,
        initial="files",
        error_messages={"required": "Choisissez ce que vous voulez examiner."},
    )
    manifests = ManifestsField(
        label="Manifestes",
        help_text=f"Jusqu'à {MAX_MANIFESTS} fichiers de {MAX_MANIFEST_BYTES // 1024} Ko au plus, "
        f"parmi : {RECOGNISED_LABEL}.",
    )
    pasted_name = forms.ChoiceField(
        label="Nom du fichier collé",
        choices=[(name, name) for name in KNOWN_MANIFEST_NAMES],
        required=False,
        help_text="Le nom indique comment lire le contenu.",
    )
    pasted_text = forms.CharField(
        label="Contenu du manifeste",
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=MAX_MANIFEST_BYTES,
        required=False,
    )
    url = forms.CharField(
        label="Adresse du dépôt Git",
        help_text="Par exemple https://gitlab.example.gouv.fr/equipe/projet.git — le code est "
        "lu, jamais exécuté ; seuls les manifestes sont examinés.",
        max_length=500,
        required=False,
    )
    archive = forms.FileField(
        label="Archive du code",
        help_text="Format .zip, .tar, .tar.gz ou .tgz, 100 Mo au plus.",
        required=False,
    )
    distribution = forms.ChoiceField(
        label="Comment le logiciel est-il mis à disposition ?",
        choices=list(DISTRIBUTIONS.items()),
        widget=forms.RadioSelect,
        initial="libre",
        help_text="Sert à signaler, pour information, les licences à réciprocité.",
        error_messages={"required": "Indiquez comment le logiciel est mis à disposition."},
    )
    long_lived = forms.BooleanField(
        label="Service public appelé à durer plusieurs années",
        help_text="Les cycles sans support long (non LTS) sont alors signalés.",
        required=False,
        initial=True,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source = data.get("source")
        if source == "files" and not data.get("manifests") and "manifests" not in self.errors:
            self.add_error("manifests", "Déposez au moins un manifeste.")
        elif source == "paste" and not (data.get("pasted_text") or "").strip():
            self.add_error("pasted_text", "Collez le contenu du manifeste.")
        elif source == "paste" and "\x00" in (data.get("pasted_text") or ""):
            self.add_error("pasted_text", "Le contenu collé n'est pas du texte.")
        else:
            clean_repository_source(self, data)
        return data

    def inputs(self) -> dict[str, Any]:
        """What the background run needs: the manifests' text itself, or where to find code."""
        data = self.cleaned_data
        common = {"distribution": data["distribution"], "long_lived": bool(data["long_lived"])}
        source = data["source"]
        if source == "files":
            return {"source": "files", "files": data["manifests"], **common}
        if source == "paste":
            files = [{"name": data["pasted_name"], "text": data["pasted_text"]}]
            return {"source": "files", "files": files, **common}
        if source == "git":
            return {"source": "git", "url": data["url"], **common}
        return {"source": "archive", **common}

    def default_title(self) -> str:
        data = self.cleaned_data
        if data["source"] == "git":
            return str(data["url"]).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        if data["source"] == "archive":
            return str(data["archive"].name)
        if data["source"] == "paste":
            return str(data["pasted_name"])
        return ", ".join(item["name"] for item in data["manifests"])[:200]
