from django_tasks import task

from dlnuf.organisations.services import password_reset_send


@task()
def password_reset_send_later(email: str) -> None:
    password_reset_send(email=email)
