"""The three staff roles as Django groups with permissions.

What a role may do is its group's permissions; where it may do it is the
account's StaffProfile (districts for a district reviewer, one company for
company staff; the city bureau sees every district). Views check both.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from .models import StaffProfile

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
        "evaluations.answer_objection",
        "evaluations.view_auditentry",
        "evaluations.add_householdcode",
        "evaluations.view_enrollment",
        "evaluations.moderate_showcase",
        "evaluations.monitor_ratings",
        "communities.add_community",
        "communities.change_community",
        "communities.add_propertycompany",
        "communities.change_propertycompany",
    ],
    Role.DISTRICT: [
        "evaluations.review_enrollment",
        "evaluations.answer_objection",
        "evaluations.export_results",
        "evaluations.view_auditentry",
        "evaluations.add_householdcode",
        "evaluations.view_enrollment",
        "evaluations.moderate_showcase",
        "evaluations.monitor_ratings",
    ],
    Role.COMPANY: [
        "evaluations.view_enrollment",
        "evaluations.add_showcaseitem",
        "evaluations.change_showcaseitem",
        "evaluations.add_companyreply",
    ],
}


def ensure_groups(**kwargs) -> None:
    """Create or update the role groups (run after every migrate)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def role_group(role: str) -> Group:
    ensure_groups()
    return Group.objects.get(name=GROUP_NAMES[role])
