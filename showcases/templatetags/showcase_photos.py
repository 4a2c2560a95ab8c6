"""`{% showcase_img item sizes="…" %}`: a showcase photo as a responsive <img>.

The three stored sizes go into `srcset` with their real widths (a narrow photo
is never enlarged, so its small version may be narrower than 480 px); the
caption is the alternative text; width and height reserve the space.
"""

from django import template
from django.utils.html import format_html

from uploads.photos import photo_srcset

register = template.Library()


@register.simple_tag
def showcase_img(item, sizes="100vw", css_class=""):
    if not item.image:
        return ""
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" class="{}" '
        'loading="lazy" decoding="async">',
        item.image_medium.url if item.image_medium else item.image.url,
        photo_srcset(item),
        sizes,
        item.image_width or "",
        item.image_height or "",
        item.body or item.title,
        css_class,
    )
