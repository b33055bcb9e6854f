"""What the two OpenID Connect sign-ins (ProConnect for agents, FranceConnect for people) share."""

import secrets
from urllib.parse import urlencode


def end_session_url(end_session: str, *, id_token: str, post_logout_redirect_uri: str) -> str:
    """The provider's end-of-session address for this ID token (OpenID Connect RP-Initiated
    Logout), bringing the person back to ``post_logout_redirect_uri``."""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": secrets.token_urlsafe(16),
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"
