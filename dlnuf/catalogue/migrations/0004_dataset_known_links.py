from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_dataset_answer_shape"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="known_links",
            field=models.JSONField(
                blank=True, default=list, verbose_name="liens connus du fournisseur"
            ),
        ),
    ]
