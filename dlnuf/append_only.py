"""Audit rows that are written once and never changed nor removed by the product.

The journal's entries, the history of requests and roles, diagnostic snapshots: each model says
what it is called (for the French message) and which error it raises. ``save()`` on an existing
row, ``delete()``, and the queryset's ``update()`` / ``delete()`` all refuse.
"""

from typing import Any, ClassVar

from django.db import models


class AppendOnlyViolation(Exception):
    """An attempt to change or remove an append-only row."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise self.model.refusal("modifié")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise self.model.refusal("supprimé")


class AppendOnlyModel(models.Model):
    append_only_error: ClassVar[type[AppendOnlyViolation]] = AppendOnlyViolation
    # Starts the French refusal message, e.g. "Le journal des rôles".
    append_only_name: ClassVar[str] = "Cet historique"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise self.refusal("modifié")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise self.refusal("supprimé")

    @classmethod
    def refusal(cls, what: str) -> AppendOnlyViolation:
        return cls.append_only_error(
            f"{cls.append_only_name} est en ajout seul : rien n'y est {what}."
        )
