"""The three staff roles as Django groups with permissions.

What a role may do is its group's permissions; where it may do it is the
account's StaffProfile (districts for a district reviewer, one company for
company staff; the city bureau sees every district). Views check both.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured

from .models import StaffProfile

logger = logging.getLogger(__name__)

Role = StaffProfile.Role

GROUP_NAMES = {
    Role.CITY: "市房管局",
    Role.DISTRICT: "区房管局",
    Role.COMPANY: "物业服务企业",
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CITY: [
        "evaluations.manage_campaign",
        "evaluations.approve_recommendation",
        "evaluations.publish_list",
        "evaluations.withdraw_entry",
        "evaluations.export_results",
        "reviews.answer_objection",
        "evaluations.view_auditentry",
        "evaluations.add_householdcode",
        "evaluations.view_enrollment",
        "showcases.moderate_showcase",
        "evaluations.monitor_ratings",
        "evaluations.finalise_monitoring",
        "communities.add_community",
        "communities.change_community",
        "communities.add_propertycompany",
        "communities.change_propertycompany",
    ],
    Role.DISTRICT: [
        "evaluations.review_enrollment",
        "reviews.answer_objection",
        "evaluations.export_results",
        "evaluations.view_auditentry",
        "evaluations.add_householdcode",
        "evaluations.view_enrollment",
        "showcases.moderate_showcase",
        "evaluations.monitor_ratings",
    ],
    Role.COMPANY: [
        "evaluations.view_enrollment",
        "showcases.add_showcaseitem",
        "showcases.change_showcaseitem",
        "showcases.add_companyreply",
    ],
}


class MissingPermission(ImproperlyConfigured):
    """A role names a permission the database does not have: a renamed model, an app
    moved without its content types, a typo. Never silently dropped from a role."""


def ensure_groups(*, plan=None, **kwargs) -> None:
    """Create or update the role groups (run after every migrate, once the apps whose
    permissions they take have theirs: console comes after them in INSTALLED_APPS).
    Raises MissingPermission, naming each one, rather than give a role less.

    A migrate that unapplies migrations (a rollback) leaves the groups as they are: the
    permissions of an app taken back to zero are missing on purpose then, and the
    groups are rebuilt by the next migrate forward."""
    if plan and any(backwards for _migration, backwards in plan):
        logger.warning("Migrations were unapplied: the role groups are left as they are.")
        return
    wanted = {tuple(name.split(".")) for names in ROLE_PERMISSIONS.values() for name in names}
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={codename for _app, codename in wanted}
        )
    }
    missing = sorted(".".join(key) for key in wanted - found.keys())
    if missing:
        raise MissingPermission(
            "Role permissions not in the database: " + ", ".join(missing) + ". Run migrate; "
            "if a model moved between apps, its content type must move with it."
        )
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.set([found[tuple(name.split("."))] for name in names])


def role_group(role: str) -> Group:
    ensure_groups()
    return Group.objects.get(name=GROUP_NAMES[role])
