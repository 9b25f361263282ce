"""Email tracking: the links of an HTML email become signed redirects that record the click, and a
1×1 pixel records the open. Unsubscribe and preference links stay as they are (a click on them is an
unsubscribe, not an engagement), as do mailto:, tel: and in-page anchors."""

import html
import re

from domain.messaging.links import Links

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def track_html(body: str, key: str, links: Links) -> str:
    """The email's HTML with every http(s) link sent through the click redirect and an open pixel added."""
    own_pages = (f"{links.public_url}/api/unsubscribe/", f"{links.public_url}/api/preferences/")

    def redirect(match: re.Match[str]) -> str:
        url = html.unescape(match.group(3)).strip()
        if not url.lower().startswith(("http://", "https://")) or url.startswith(own_pages):
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(links.click(key, url))}{match.group(2)}"

    pixel = f'<img src="{html.escape(links.open_pixel(key))}" width="1" height="1" alt="" style="display:none">'
    tracked = _HREF.sub(redirect, body)
    if _BODY_END.search(tracked):
        return _BODY_END.sub(lambda end: pixel + end.group(0), tracked, count=1)
    return tracked + pixel
