"""A foreign target: Authlib (PyPI, pinned in requirements.txt) with Flask, configured as
closely to seed 002 as the library allows, behind smartcheck's own FHIR gateway
(../gateway/gateway.mjs, run with Node) that checks tokens by introspection.

Models are in memory and follow Authlib's own documented examples (its SQLAlchemy mixins):
what a deployer of this library writes. Login and consent pages are ours. Prints one line
`READY {"patient_access": ..., "provider_directory": ...}` once both listen on loopback.
Secrets come from the environment (FOREIGN_*_SECRET, FOREIGN_MEMBER_PASSWORD).
"""

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from html import escape
from pathlib import Path

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError, grants
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request, session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

PATIENT_SCOPES = "openid fhirUser launch/patient patient/*.rs"


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set")
    return value


class Client:
    def __init__(self, client_id, secret, redirect_uris, grant_types, scope, jwks=None):
        self.client_id = client_id
        self.client_secret = secret
        self.redirect_uris = redirect_uris
        self.grant_types = grant_types
        self.scope = scope
        # SMART's confidential asymmetric client: a registered JWK set and no secret.
        self.jwks = jwks
        self.auth_method = "private_key_jwt" if jwks else "client_secret_basic"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    # As Authlib's own client mixin does: the requested scope narrowed to the client's.
    def get_allowed_scope(self, scope):
        if not scope:
            return ""
        allowed = set(self.scope.split())
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return self.client_secret is not None and secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.auth_method

    def check_response_type(self, response_type):
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


class AuthorizationCode:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Token:
    def __init__(self, client_id, user, patient, fields):
        self.client_id = client_id
        self.user = user
        self.patient = patient
        self.access_token = fields["access_token"]
        self.refresh_token = fields.get("refresh_token")
        self.scope = fields.get("scope", "")
        self.expires_in = fields.get("expires_in", 3600)
        self.issued_at = int(time.time())
        self.revoked = False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def get_expires_at(self):
        return self.issued_at + self.expires_in

    def is_expired(self):
        return self.get_expires_at() < time.time()

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.user

    def get_client(self):
        return CLIENTS[self.client_id]


MEMBERS = {"foreign-member-1": {"patient": "pat-1001", "password": env("FOREIGN_MEMBER_PASSWORD")}}
PATIENTS = ["pat-1001", "pat-1002"]
CLIENTS = {
    c.client_id: c
    for c in [
        Client("smartcheck-pa", env("FOREIGN_PA_SECRET"),
               ["https://client-app.com/redirect", "https://client-app.com/callback/"],
               ["authorization_code", "refresh_token"], PATIENT_SCOPES),
        Client("smartcheck-pa2", env("FOREIGN_PA2_SECRET"), ["https://client-app.com/redirect"],
               ["authorization_code", "refresh_token"], PATIENT_SCOPES),
        Client("smartcheck-pa-jwt", None, ["https://client-app.com/redirect"],
               ["authorization_code", "refresh_token"], PATIENT_SCOPES,
               json.loads((Path(__file__).resolve().parents[3] / "fixtures/client-keys/demo-asymmetric.jwks.json").read_text())),
        Client("smartcheck-pd", env("FOREIGN_PD_SECRET"), [], ["client_credentials"], "system/*.rs"),
        Client("smartcheck-gateway", env("FOREIGN_GATEWAY_SECRET"), [], [], ""),
    ]
}
CODES = {}
TOKENS = {}  # by access token and by refresh token
LOCK = threading.Lock()
KEY = RSAKey.generate_key(2048, parameters={"kid": "authlib-rs256", "alg": "RS256", "use": "sig"})


def save_token(token, req):
    user = req.user
    patient = MEMBERS[user]["patient"] if user else None
    if patient and "launch/patient" in scope_to_list(token.get("scope", "")):
        token["patient"] = patient  # SMART's launch context beside the tokens
    record = Token(req.client.client_id, user, patient, token)
    with LOCK:
        TOKENS[record.access_token] = record
        if record.refresh_token:
            TOKENS[record.refresh_token] = record


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

    def save_authorization_code(self, code, req):
        CODES[code] = AuthorizationCode(
            code=code, client_id=req.client.client_id, redirect_uri=req.payload.redirect_uri,
            scope=req.scope, user=req.user, nonce=req.payload.data.get("nonce"),
            auth_time=int(time.time()), code_challenge=req.payload.data.get("code_challenge"),
            code_challenge_method=req.payload.data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        item = CODES.get(code)
        if item and item.client_id == client.client_id:
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
    # Rotation, as Authlib's documentation configures it: a new refresh token each time,
    # the old one (and its access token) revoked.
    INCLUDE_NEW_REFRESH_TOKEN = True

    def revoke_old_credential(self, refresh_token):
        refresh_token.revoked = True

    def authenticate_refresh_token(self, refresh_token):
        token = TOKENS.get(refresh_token)
        if token and token.refresh_token == refresh_token and not token.revoked:
            return token
        return None

    def authenticate_user(self, credential):
        return credential.user


class S256Only(CodeChallenge):
    # The metadata advertises S256 only; Authlib's default also takes plain.
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]


class ClientAssertion(JWTBearerClientAssertion):
    """RFC 7523 client authentication as Authlib's documentation configures it: the
    audience is the token URL, each jti once, the client's registered JWK set; SMART's
    RS384 and ES384 (joserfc accepts only its recommended algorithms unless told)."""

    CLIENT_AUTH_METHOD = "private_key_jwt"
    SEEN_JTI = set()

    def get_audiences(self):
        return [f"{ISSUER}/token"]

    def validate_jti(self, claims, jti):
        key = (claims["sub"], jti)
        with LOCK:
            if key in self.SEEN_JTI:
                return False
            self.SEEN_JTI.add(key)
        return True

    def resolve_client_public_key(self, client):
        return KeySet.import_key_set(client.jwks)

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=["RS384", "ES384"])
        except JoseError as e:
            raise InvalidClientError(description=e.description) from e
        self.verify_claims(token.claims)
        return token.claims


class OpenID(OpenIDCode):
    def resolve_client_private_key(self, client):
        return KEY

    def get_client_claims(self, client):
        return {"iss": ISSUER}

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": KEY.kid}

    def exists_nonce(self, nonce, req):
        return False

    def generate_user_info(self, user, scope):
        return UserInfo(sub=user, fhirUser=f"{GATEWAY['patient_access']}/Patient/{MEMBERS[user]['patient']}")


class Introspection(IntrospectionEndpoint):
    def query_token(self, token_string, token_type_hint):
        return TOKENS.get(token_string)

    def introspect_token(self, token):
        return {
            "active": True, "client_id": token.client_id, "token_type": "Bearer",
            "scope": token.scope, "sub": token.user, "patient": token.patient,
            "exp": token.get_expires_at(), "iat": token.issued_at, "iss": ISSUER,
            # SMART token introspection: the id_token's fhirUser (SHOULD).
            "fhirUser": token.patient and f"{GATEWAY['patient_access']}/Patient/{token.patient}",
        }

    def check_permission(self, token, client, req):
        return client.client_id in ("smartcheck-gateway", token.client_id)


class Revocation(RevocationEndpoint):
    def query_token(self, token_string, token_type_hint):
        return TOKENS.get(token_string)

    def revoke_token(self, token, req):
        token.revoked = True


class Registration(ClientRegistrationEndpoint):
    """RFC 7591 open registration (seed 002 advertises a registration endpoint)."""

    def authenticate_token(self, req):
        return True

    def get_server_metadata(self):
        return metadata()

    def save_client(self, client_info, client_metadata, req):
        client = Client(client_info["client_id"], client_info["client_secret"],
                        client_metadata.get("redirect_uris", []),
                        client_metadata.get("grant_types", ["authorization_code"]), PATIENT_SCOPES)
        CLIENTS[client.client_id] = client
        return client


app = Flask(__name__)
app.secret_key = secrets.token_hex(32)
app.config["OAUTH2_SCOPES_SUPPORTED"] = PATIENT_SCOPES.split() + ["system/*.rs"]
app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)
server.register_client_auth_method(ClientAssertion.CLIENT_AUTH_METHOD, ClientAssertion())
server.register_grant(CodeGrant, [OpenID(require_nonce=False), S256Only(required=False)])
server.register_grant(RefreshGrant)
server.register_grant(ClientCredentials)
server.register_endpoint(Introspection)
server.register_endpoint(Revocation)
server.register_endpoint(Registration)


def page(title, body):
    html = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>'
    # The pages are this program's, not Authlib's: they forbid framing (RFC 9700 4.16).
    return html, 200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": "frame-ancestors 'none'",
        "x-frame-options": "DENY",
    }


LOGIN_FORM = """<form method="post"><label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label><button type="submit">Sign in</button></form>"""


@app.route("/authorize", methods=["GET", "POST"])
def authorize():
    user = session.get("member")
    if request.method == "GET":
        try:
            grant = server.get_consent_grant(end_user=user)
        except Exception as error:  # OAuth2Error: Authlib renders it (redirect or 400)
            return server.handle_error_response(request, error)
        if not user:
            return page("Member sign-in", LOGIN_FORM)
        return page("Share your data?", f"""<p>{escape(grant.client.client_id)} asks for {escape(grant.request.payload.scope or '')}.</p>
<form method="post"><button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></form>""")
    if not user:
        name = request.form.get("username", "")
        member = MEMBERS.get(name)
        if not member or not secrets.compare_digest(member["password"], request.form.get("password", "")):
            return page("Member sign-in", '<p class="error">Invalid username or password</p>' + LOGIN_FORM)
        session["member"] = name
        return authorize_again()
    if request.form.get("decision") == "approve":
        return server.create_authorization_response(grant_user=user)
    return server.create_authorization_response(grant_user=None)


def authorize_again():
    # Back to the same authorization request, now signed in: the consent page.
    return "", 303, {"location": request.full_path}


@app.route("/token", methods=["POST"])
def token():
    return server.create_token_response()


@app.route("/introspect", methods=["POST"])
def introspect():
    return server.create_endpoint_response(Introspection.ENDPOINT_NAME)


@app.route("/revoke", methods=["POST"])
def revoke():
    return server.create_endpoint_response(Revocation.ENDPOINT_NAME)


@app.route("/register", methods=["POST"])
def register():
    return server.create_endpoint_response(Registration.ENDPOINT_NAME)


@app.route("/jwks")
def jwks():
    return jsonify(KeySet([KEY]).as_dict(private=False))


def metadata():
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "introspection_endpoint": f"{ISSUER}/introspect",
        "revocation_endpoint": f"{ISSUER}/revoke",
        "registration_endpoint": f"{ISSUER}/register",
        "jwks_uri": f"{ISSUER}/jwks",
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": app.config["OAUTH2_SCOPES_SUPPORTED"],
    }


@app.route("/.well-known/oauth-authorization-server")
def discovery():
    return jsonify(metadata())


# OpenID Connect Discovery 1.0, where SMART's steps for using an ID token look: the same
# metadata with the OpenID fields (authlib.oidc.discovery's REQUIRED ones).
@app.route("/.well-known/openid-configuration")
def openid_configuration():
    return jsonify({**metadata(), "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"]})


def main():
    global ISSUER, GATEWAY
    http = make_server("127.0.0.1", 0, app, threaded=True)
    ISSUER = f"http://127.0.0.1:{http.server_port}"
    gateway = Path(__file__).resolve().parent.parent / "gateway" / "gateway.mjs"
    child = subprocess.Popen(["node", str(gateway)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    if not line.startswith("READY "):
        sys.exit(f"the gateway did not start: {line!r}")
    GATEWAY = json.loads(line[len("READY "):])
    config = {
        "metadata": metadata(), "introspectionEndpoint": f"{ISSUER}/introspect",
        "clientId": "smartcheck-gateway", "clientSecret": env("FOREIGN_GATEWAY_SECRET"),
        "plans": {"smartcheck-pa": "patient-access", "smartcheck-pa2": "patient-access",
                  "smartcheck-pa-jwt": "patient-access", "smartcheck-pd": "provider-directory"},
        "patients": PATIENTS,
    }
    child.stdin.write(json.dumps(config) + "\n")
    child.stdin.flush()
    if child.stdout.readline().strip() != "CONFIGURED":
        sys.exit("the gateway did not take its configuration")
    print(f"READY {json.dumps(GATEWAY)}", flush=True)
    try:
        http.serve_forever()
    finally:
        child.kill()


ISSUER = ""
GATEWAY = {}
if __name__ == "__main__":
    main()
