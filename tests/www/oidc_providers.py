"""OpenID providers on loopback for the sign-in tests: ``oidc-provider-mock`` (a real
authorization server signing its ID tokens with its own key) behind a WSGI layer that adds what
ProConnect or FranceConnect do and the mock does not, and can tamper with its answers."""

import base64
import hashlib
import io
import json
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import pytest
from werkzeug.serving import make_server

from dlnuf.catalogue.services import catalogue_load

FRANCECONNECT_CLIENT_ID = "guichet-dlnuf-mes-donnees"
FRANCECONNECT_CLIENT_SECRET = "secret-franceconnect-de-test"
FRANCECONNECT_SUB = "fc-personne-1"
FRANCECONNECT_CLAIMS = {
    "given_name": "Alexis Gérôme Jean-Philippe",
    "family_name": "LEFEBVRE",
    "birthdate": "1982-12-27",
    "gender": "female",
    "birthplace": "08480",
    "birthcountry": "99100",
}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def wsgi_call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer["status"], answer["headers"] = status, headers
        return lambda data: None

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class ProConnectLike:
    """WSGI layer over the mock provider: PKCE, per-claim scopes, and optional tampering."""

    app: WsgiApp
    challenges: dict[str, str] = field(default_factory=dict)
    discovery_requests: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)
    rewrite_id_token: Callable[[str], str] | None = None
    announced_issuer: str | None = None
    issued_id_tokens: list[str] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ["PATH_INFO"]
        if path == "/.well-known/openid-configuration":
            self.discovery_requests += 1
            if self.announced_issuer is not None:
                return self._discovery(environ, start_response)
        if path == "/oauth2/authorize":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _discovery(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        status, _headers, body = wsgi_call(self.app, environ)
        document = {**json.loads(body), "issuer": self.announced_issuer}
        answer = json.dumps(document).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [answer]

    def _authorize(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"PKCE (S256) is required"]
        scopes = query.get("scope", "").split()
        if "given_name" in scopes or "usual_name" in scopes:
            # ProConnect has a scope per claim; the mock releases given_name with "profile".
            query["scope"] = " ".join([*scopes, "profile"])
        environ["QUERY_STRING"] = urlencode(query)
        status, headers, body = wsgi_call(self.app, environ)
        location = dict(headers).get("Location", "")
        code = parse_qs(urlsplit(location).query).get("code")
        if code:
            self.challenges[code[0]] = query["code_challenge"]
        start_response(status, headers)
        return [body]

    def _token(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        form = dict(parse_qsl(body.decode()))
        self.token_requests.append(form)
        challenge = self.challenges.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier")
        if challenge is None or verifier is None or s256(verifier) != challenge:
            payload = {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps(payload).encode()]
        environ["wsgi.input"] = io.BytesIO(body)
        status, headers, answer = wsgi_call(self.app, environ)
        if status.startswith("200"):
            tokens = json.loads(answer)
            self.issued_id_tokens.append(tokens["id_token"])
            if self.rewrite_id_token is not None:
                tokens["id_token"] = self.rewrite_id_token(tokens["id_token"])
                answer = json.dumps(tokens).encode()
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(answer))))
        start_response(status, headers)
        return [answer]


@dataclass
class FranceConnectLike(ProConnectLike):
    """The ProConnect-like layer, announcing what FranceConnect does, with a key of the test's."""

    test_keys: list[dict[str, Any]] = field(default_factory=list)
    secret_post_announced: bool = True
    token_authorizations: list[str] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ["PATH_INFO"]
        if path == "/oauth2/token":
            self.token_authorizations.append(environ.get("HTTP_AUTHORIZATION", ""))
        if path == "/.well-known/openid-configuration":
            return self._json_rewritten(environ, start_response, self._announce)
        if path == "/jwks":
            return self._json_rewritten(
                environ, start_response, lambda keys: {"keys": [*keys["keys"], *self.test_keys]}
            )
        return super().__call__(environ, start_response)

    def _announce(self, document: dict[str, Any]) -> dict[str, Any]:
        methods = ["client_secret_post"] if self.secret_post_announced else []
        return {
            **document,
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": methods,
        }

    def _json_rewritten(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        rewrite: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Any:
        status, _headers, body = wsgi_call(self.app, environ)
        answer = json.dumps(rewrite(json.loads(body))).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [answer]


@dataclass
class Provider:
    issuer: str
    layer: ProConnectLike
    stop: Callable[[], None]

    def add_user(self, sub: str, claims: dict[str, Any]) -> None:
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims)
        assert response.status_code == 204


@contextmanager
def provider_on_loopback(layer_class: type[ProConnectLike]) -> Iterator[Provider]:
    """The mock provider behind ``layer_class``, served on a free port of loopback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import oidc_provider_mock

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    layer = layer_class(oidc_provider_mock.app())
    # Port 0: the system picks a free port on loopback.
    server = make_server("localhost", 0, layer, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            server.shutdown()
            thread.join()
            server.server_close()

    try:
        yield Provider(f"http://localhost:{server.server_port}", layer, stop)
    finally:
        stop()


@pytest.fixture
def franceconnect(settings: Any) -> Iterator[Provider]:
    """A FranceConnect-like provider on loopback, configured, knowing one person."""
    with provider_on_loopback(FranceConnectLike) as provider:
        settings.DLNUF_FRANCECONNECT_ISSUER = provider.issuer
        settings.DLNUF_FRANCECONNECT_CLIENT_ID = FRANCECONNECT_CLIENT_ID
        settings.DLNUF_FRANCECONNECT_CLIENT_SECRET = FRANCECONNECT_CLIENT_SECRET
        catalogue_load()
        provider.add_user(FRANCECONNECT_SUB, FRANCECONNECT_CLAIMS)
        yield provider
