"""`{% showcase_img item sizes="…" %}`: a showcase photo as a responsive <picture>.

The three stored sizes go into `srcset` with their real widths (a narrow photo
is never enlarged, so its small version may be narrower than 480 px); the
caption is the alternative text; width and height reserve the space. When the
photo is also stored as AVIF or WebP (uploads.photos), a `<source>` per format
comes first, best first, and the JPEG `<img>` is the fallback.
"""

from django import template
from django.utils.html import format_html, format_html_join

from uploads.photos import MODERN_CONTENT_TYPES, item_formats, photo_srcset

register = template.Library()


@register.simple_tag
def showcase_img(item, sizes="100vw", css_class=""):
    if not item.image:
        return ""
    img = format_html(
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
    formats = item_formats(item)
    if not formats or not item.image_width:
        return img
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        ((MODERN_CONTENT_TYPES[fmt], photo_srcset(item, fmt), sizes) for fmt in formats),
    )
    return format_html("<picture>{}{}</picture>", sources, img)
