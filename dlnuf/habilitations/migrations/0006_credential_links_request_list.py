import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("habilitations", "0005_request_terms_use_case"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CredentialDeliveryLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("recipient_name", models.CharField(blank=True, max_length=255)),
                ("recipient_email", models.EmailField(max_length=254)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("replaced_at", models.DateTimeField(blank=True, null=True)),
                (
                    "credential",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="delivery_links",
                        to="habilitations.credential",
                    ),
                ),
                (
                    "sent_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-pk"]},
        ),
        migrations.AlterField(
            model_name="habilitationevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("granted", "habilitation accordée"),
                    ("amended", "habilitation modifiée"),
                    ("renewed", "habilitation renouvelée"),
                    ("revoked", "habilitation révoquée"),
                    ("credential_issued", "jeton émis"),
                    ("credential_rotated", "jeton remplacé"),
                    ("credential_revoked", "jeton révoqué"),
                    ("credential_revealed", "jeton affiché"),
                    ("credential_link_sent", "lien d'affichage du jeton envoyé"),
                ],
                max_length=30,
            ),
        ),
        migrations.AddIndex(
            model_name="authorizationrequest",
            index=models.Index(fields=["updated_at", "id"], name="request_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="authorizationrequest",
            index=models.Index(fields=["submitted_at", "id"], name="request_submitted_idx"),
        ),
    ]
