from typing import Any

from django import forms

from dlnuf.toolbox.code_quality import sources
from dlnuf.www.forms import PortalForm
from dlnuf.www.toolbox_views.forms import clean_repository_source

SOURCE_CHOICES = [
    ("git", "Adresse d'un dépôt Git public (https)"),
    ("archive", "Archive du code (.zip, .tar, .tar.gz, .tgz)"),
    ("local", "Dossier ouvert par l'exploitant du guichet"),
]


class CodeQualityForm(PortalForm):
    title = forms.CharField(
        label="Intitulé du rapport",
        help_text="Par exemple le nom de l'application ; facultatif.",
        max_length=200,
        required=False,
    )
    source = forms.ChoiceField(
        label="Où se trouve le code ?",
        choices=SOURCE_CHOICES,
        widget=forms.RadioSelect,
        initial="git",
        error_messages={"required": "Choisissez où se trouve le code."},
    )
    url = forms.CharField(
        label="Adresse du dépôt Git",
        help_text="Par exemple https://gitlab.example.gouv.fr/equipe/projet.git — le code est "
        "lu, jamais exécuté.",
        max_length=500,
        required=False,
    )
    archive = forms.FileField(
        label="Archive du code",
        help_text="Format .zip, .tar, .tar.gz ou .tgz, 100 Mo au plus. Les liens symboliques et "
        "les archives contenues dans l'archive ne sont pas ouverts.",
        required=False,
    )
    path = forms.ChoiceField(label="Dossier", required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sources.local_choices()
        if choices:
            self.fields["path"].choices = [("", "Choisissez un dossier"), *choices]
        else:
            del self.fields["path"]
            self.fields["source"].choices = SOURCE_CHOICES[:2]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source = data.get("source")
        clean_repository_source(self, data)
        if source == "local" and not data.get("path"):
            self.add_error("path", "Choisissez un dossier dans la liste.")
        return data

    def inputs(self) -> dict[str, str]:
        """What the background run needs to find the code again."""
        source = self.cleaned_data["source"]
        if source == "git":
            return {"source": source, "url": self.cleaned_data["url"]}
        if source == "local":
            return {"source": source, "path": self.cleaned_data["path"]}
        return {"source": source}
