from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Dr Green integration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks (drgreen.E00x keys, drgreen.E1xx production and deploy).
        from . import checks  # noqa: F401

        self._connect_observability()

        # order_status_changed → notifications. Tasks register through Celery's autodiscovery
        # of the ``integration.tasks`` package, nothing here.
        from . import receivers  # noqa: F401

    def _connect_observability(self) -> None:
        # Correlation ids travel from the publisher into Celery tasks (web, worker and beat).
        from django.core.signals import setting_changed

        from .observability import celery_hooks  # noqa: F401
        from .observability.redaction import forget_configured_secrets

        setting_changed.connect(forget_configured_secrets, dispatch_uid="drgreen.redaction.secrets")
