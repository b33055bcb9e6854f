"""Who holds which data, under which legal basis, and which supporting documents it replaces.

Everything here is loaded from the seed files in ``data/`` by ``manage.py load_catalogue``:
adding a dataset served by a plain REST provider is a data change, not a code change.
"""

from django.db import models


class Provider(models.Model):
    """An administration that holds data (CNAF, DGFiP, INSEE…)."""

    slug = models.SlugField(unique=True)
    name = models.CharField("nom", max_length=255)
    acronym = models.CharField("sigle", max_length=50, blank=True)
    website = models.URLField("site", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name


class ConnectorKind(models.TextChoices):
    API_PARTICULIER = "api_particulier", "API Particulier"
    API_ENTREPRISE = "api_entreprise", "API Entreprise"
    REST = "rest", "REST générique"


class AuthKind(models.TextChoices):
    NONE = "none", "aucune"
    BEARER = "bearer", "jeton Bearer"
    HEADER = "header", "en-tête dédié"


class Connector(models.Model):
    """How the gateway reaches one upstream API.

    The base URL and secret of API Particulier / API Entreprise come from the environment
    (``DLNUF_API_PARTICULIER_URL`` …); when the URL is unset the built-in sandbox under
    ``sandbox_path`` serves the family. Secrets are never stored here: ``auth_secret_env`` names
    the environment variable that holds them.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField("nom", max_length=255)
    kind = models.CharField(max_length=20, choices=ConnectorKind.choices)
    base_url = models.URLField("URL de base", blank=True)
    base_url_env = models.CharField(max_length=100, blank=True)
    sandbox_path = models.CharField(max_length=100, blank=True)
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.BEARER)
    auth_header = models.CharField(max_length=100, blank=True)
    auth_secret_env = models.CharField(max_length=100, blank=True)
    sends_trace_parameters = models.BooleanField(default=True)
    timeout_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class LegalBasis(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField("intitulé", max_length=255)
    reference = models.CharField("référence", max_length=255, blank=True)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "legal bases"

    def __str__(self) -> str:
        return self.title


class SupportingDocument(models.Model):
    """A document people used to provide (pièce justificative) that a dataset replaces."""

    slug = models.SlugField(unique=True)
    name = models.CharField("nom", max_length=255)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubjectKind(models.TextChoices):
    PERSON = "person", "particulier"
    COMPANY = "company", "entreprise ou association"


class Dataset(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField("intitulé", max_length=255)
    description = models.TextField(blank=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="datasets")
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="datasets")
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    themes = models.JSONField(default=list, blank=True)
    holds_personal_data = models.BooleanField(default=True)
    legal_bases = models.ManyToManyField(LegalBasis, related_name="datasets", blank=True)
    supporting_documents = models.ManyToManyField(
        SupportingDocument, related_name="datasets", blank=True
    )
    # Seconds a provider answer may be reused; ignored for personal data (never cached).
    cache_seconds = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # The leaves of the provider's ``data`` (paths as in ``Scope.fields``): a scope naming an
    # object reveals the leaves listed below it and nothing the provider adds.
    answer_shape = models.JSONField("forme de la réponse", default=list, blank=True)
    # Names of the ``links`` the provider is known to send: never forwarded either, but dropped
    # without being reported, so the report keeps meaning "the provider's answer changed".
    known_links = models.JSONField("liens connus du fournisseur", default=list, blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Endpoint(models.Model):
    """One way to ask a dataset: an upstream path and the parameters that identify the subject.

    ``parameters`` is a list of ``{"name": …, "required": bool, "pattern": optional regex,
    "label": optional}``; well-known names (``siren``, ``nomNaissance``, ``prenoms[]`` …) are
    checked by the gateway's own rules, ``pattern`` checks a dataset's own extra parameters.
    The gateway picks the first endpoint whose required parameters are all present.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="endpoints")
    name = models.SlugField()
    path_template = models.CharField(max_length=255)
    parameters = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="unique_endpoint_name")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}:{self.name}"


class Scope(models.Model):
    """The unit of habilitation: a named set of fields of a dataset.

    ``fields`` lists the paths of ``data`` the scope reveals: ``"quotient_familial"`` (a top-level
    key), ``"admissions[].est_inscrit"`` (a key inside each element of a list), ``"a.b"`` (a key
    inside an object) or ``"*"`` (the whole answer, for endpoint-level authorisation).
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="scopes")
    slug = models.CharField(max_length=100)
    label = models.CharField("libellé", max_length=255)
    description = models.TextField("ce que le périmètre révèle", blank=True)
    fields = models.JSONField(default=list)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "slug"], name="unique_scope_per_dataset")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}:{self.slug}"


class Openness(models.IntegerChoices):
    """Access conditions as api.gouv.fr grades them."""

    RESTRICTED = -1, "accès restreint, sur habilitation"
    ACCOUNT = 0, "ouverte avec création de compte"
    OPEN = 1, "ouverte à tous, sans compte"


class PublicApiProducer(models.Model):
    """An administration publishing APIs listed by api.gouv.fr.

    ``provider`` links it to the catalogue's provider when they are the same administration, so
    that filtering the catalogue by provider shows both what the gateway serves and the rest.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField("nom", max_length=255)
    acronym = models.CharField("sigle", max_length=50, blank=True)
    kind = models.CharField("type d'organisme", max_length=100, blank=True)
    website = models.URLField("site", max_length=500, blank=True)
    provider = models.ForeignKey(
        Provider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="public_api_producers",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name


class PublicApi(models.Model):
    """A public-sector API listed by api.gouv.fr that the gateway does NOT serve.

    It is shown in the catalogue for orientation only (access conditions, links, contact); it
    cannot be requested through this portal. ``gateway_datasets`` names the datasets the gateway
    serves from the same source, when there are any.
    """

    slug = models.CharField(max_length=100, unique=True)
    title = models.CharField("intitulé", max_length=255)
    producer = models.ForeignKey(
        PublicApiProducer, on_delete=models.PROTECT, related_name="public_apis"
    )
    partners = models.JSONField("partenaires", default=list, blank=True)
    themes = models.JSONField(default=list, blank=True)
    keywords = models.JSONField("mots-clés", default=list, blank=True)
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices, blank=True)
    openness = models.SmallIntegerField("conditions d'accès", choices=Openness.choices)
    habilitation_url = models.URLField("demande d'habilitation", max_length=500, blank=True)
    documentation_url = models.URLField("documentation technique", max_length=1000, blank=True)
    website = models.URLField("site", max_length=500, blank=True)
    contact = models.CharField("contact", max_length=255, blank=True)
    rate_limit = models.CharField("limite d'appels", max_length=100, blank=True)
    uptime_percent = models.FloatField("disponibilité (%)", null=True, blank=True)
    monitoring_url = models.URLField("page de statut", max_length=500, blank=True)
    last_update = models.DateField("dernière mise à jour de la fiche", null=True, blank=True)
    source_url = models.URLField("fiche d'origine", max_length=500)
    gateway_datasets = models.ManyToManyField(Dataset, related_name="public_apis", blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "API publique non servie par la passerelle"
        verbose_name_plural = "API publiques non servies par la passerelle"

    def __str__(self) -> str:
        return self.title


class TermsVersion(models.Model):
    """One published version of a dataset's terms of use (conditions générales d'utilisation).

    A published version never changes: applicants accept one version, and the record of what
    they accepted must keep meaning the same text. A change is a new version.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="terms_versions")
    number = models.PositiveSmallIntegerField("version")
    published_on = models.DateField("date de publication")
    text = models.TextField("texte")

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="unique_terms_version")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug} : conditions d'utilisation, version {self.number}"

    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.text.split("\n\n") if part.strip()]


class UseCaseTemplate(models.Model):
    """A typical use of a dataset (cantine scolaire, marchés publics…) that prefills a request.

    ``legal_basis`` is one of the catalogue's own legal bases, so that a prefilled request only
    ever cites a text the catalogue already lists; ``legal_basis_nature`` is the value of the
    request's « nature du texte » list that matches it.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="use_cases")
    slug = models.SlugField()
    name = models.CharField("cas d'usage", max_length=255)
    request_title = models.CharField("intitulé proposé", max_length=255)
    purpose = models.TextField("finalité proposée")
    scope_slugs = models.JSONField("périmètres proposés", default=list)
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="+")
    legal_basis_nature = models.CharField("nature du texte", max_length=30)
    retention_months = models.PositiveSmallIntegerField("durée de conservation proposée (mois)")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "slug"], name="unique_use_case_per_dataset")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug} : {self.name}"


class DatasetChangeKind(models.TextChoices):
    TERMS = "terms", "nouvelle version des conditions"
    SCOPE_ADDED = "scope_added", "périmètre ajouté"
    SCOPE_REMOVED = "scope_removed", "périmètre retiré"
    FIELD_ADDED = "field_added", "champ ajouté"
    FIELD_REMOVED = "field_removed", "champ retiré"
    ADDRESS = "address", "changement d'adresse"
    INCIDENT = "incident", "incident"
    OTHER = "other", "autre changement"


class DatasetChange(models.Model):
    """One line of a dataset's public changelog.

    Lines come from the seed files (``changes``) or are written by the loader when a reload
    changes what consumers rely on (a scope, a field, an address, the terms).
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="changes")
    occurred_on = models.DateField("date")
    kind = models.CharField("nature", max_length=20, choices=DatasetChangeKind.choices)
    description = models.TextField("description")
    detected = models.BooleanField("relevé au chargement du catalogue", default=False)

    class Meta:
        ordering = ["dataset", "-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.dataset.slug} {self.occurred_on} : {self.get_kind_display()}"
