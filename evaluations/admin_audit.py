"""Every change made through the Django admin to communities, companies, criteria or
campaigns writes an audit entry with the old and new values (issue 11): the admin
is a back door around the console's services, so it is audited like them.

communities/ sits below the audit log and cannot import it: its admin classes are
registered again here, wrapped in AuditedAdminMixin.
"""

from __future__ import annotations

from django.contrib import admin

from .audit import audit_record
from .models import Campaign, Enrollment


def _value(obj, field) -> str:
    if field.many_to_many:
        if obj.pk is None:
            return ""
        return ", ".join(sorted(str(o) for o in getattr(obj, field.name).all()))
    value = getattr(obj, field.attname)
    return "" if value is None else str(value)


def _snapshot(obj, names) -> dict[str, str]:
    fields = {f.name: f for f in obj._meta.get_fields() if getattr(f, "concrete", False)}
    return {name: _value(obj, fields[name]) for name in names if name in fields}


def _changes(before: dict, after: dict) -> tuple[str, str]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    old = "; ".join(f"{k}={before.get(k, '')}" for k in changed)
    new = "; ".join(f"{k}={after[k]}" for k in changed)
    return old, new


def _context(obj) -> dict:
    if isinstance(obj, Campaign):
        return {"campaign": obj}
    if isinstance(obj, Enrollment):
        return {"enrollment": obj}
    return {}


def _subject(obj) -> str:
    return f"{obj._meta.verbose_name}: {obj} (#{obj.pk})"


class AuditedAdminMixin:
    """save_model/save_related/delete_model write admin_added / admin_changed /
    admin_deleted with the fields that changed, before → after. Many-to-many fields
    (a campaign's criteria) are compared after save_related."""

    def save_model(self, request, obj, form, change):
        names = list(form.changed_data) if change else list(form.fields)
        before = {}
        if change:
            old = type(obj).objects.get(pk=obj.pk)
            before = _snapshot(old, names)
        request._audit_admin = (change, names, before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        was_change, names, before = getattr(request, "_audit_admin", (change, [], {}))
        after = _snapshot(obj, names)
        old, new = _changes(before, after)
        if was_change and not new:
            return  # saved without a change
        audit_record(
            "admin_changed" if was_change else "admin_added",
            actor=request.user,
            subject=_subject(obj),
            old=old,
            new=new,
            **_context(obj),
        )

    def delete_model(self, request, obj):
        # No link to the deleted row (it is gone): the subject and old values name it.
        subject = _subject(obj)
        snapshot = _snapshot(obj, [f.name for f in obj._meta.concrete_fields])
        super().delete_model(request, obj)
        audit_record(
            "admin_deleted",
            actor=request.user,
            subject=subject,
            old="; ".join(f"{k}={v}" for k, v in snapshot.items()),
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


def audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    return type(f"Audited{admin_class.__name__}", (AuditedAdminMixin, admin_class), {})


def audit_admin_of(site: admin.AdminSite, *models) -> None:
    """Register each model's admin again, audited."""
    for model in models:
        current = type(site._registry[model])
        site.unregister(model)
        site.register(model, audited(current))
