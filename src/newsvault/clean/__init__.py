"""The clean stage: what newsvault shows of an article body, and the image mirror.

The archive keeps bodies exactly as given; these functions serve the site,
the reader and feeds out:

    html = display_html(body, article_link, policy_for(config, abbr), assets)
    report = await mirror_images(engine, config.archive, fetcher, config.images,
                                 sources=mirror_sources(config))
"""

from newsvault.clean.display import display_html, image_urls, policy_for
from newsvault.clean.images import ImagePolicy, proxied
from newsvault.clean.mirror import MirrorReport, mirror_images, mirror_sources
from newsvault.clean.sanitize import sanitize
from newsvault.clean.sniff import Refused, image_type

__all__ = [
    "ImagePolicy",
    "MirrorReport",
    "Refused",
    "display_html",
    "image_type",
    "image_urls",
    "mirror_images",
    "mirror_sources",
    "policy_for",
    "proxied",
    "sanitize",
]
