from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_keys(app_configs, **kwargs):
    """The laptop defaults of the secrets must never reach a deployment."""
    errors = []
    if settings.SECRET_KEY == settings.INSECURE_DEV_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is the development default.",
                hint="Set SECRET_KEY in the environment (50+ random characters).",
                id="manyi.E001",
            )
        )
    if settings.HOUSEHOLD_CODE_KEY == "household-code:" + settings.INSECURE_DEV_SECRET_KEY:
        errors.append(
            Error(
                "HOUSEHOLD_CODE_KEY is derived from the development SECRET_KEY.",
                hint="Set HOUSEHOLD_CODE_KEY in the environment and keep it safe: "
                "changing it invalidates every printed household code.",
                id="manyi.E002",
            )
        )
    return errors
