// A foreign target: oidc-provider (npm, pinned in package.json), configured as closely to
// seed 002 as the library allows, behind smartcheck's own FHIR gateway
// (../gateway/gateway.mjs) that checks tokens by introspection. The login and consent pages
// are ours (oidc-provider leaves them to the deployer). Prints one line
// `READY {"patient_access": ..., "provider_directory": ...}` once both listen on loopback.
//
// Secrets come from the environment (FOREIGN_PA_SECRET, FOREIGN_PA2_SECRET,
// FOREIGN_PD_SECRET, FOREIGN_GATEWAY_SECRET, FOREIGN_MEMBER_PASSWORD): the test makes them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';
import { listenGateway } from '../gateway/gateway.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const MEMBERS = {
  'foreign-member-1': { patient: 'pat-1001', password: env('FOREIGN_MEMBER_PASSWORD') },
};
const PATIENTS = ['pat-1001', 'pat-1002'];
const PATIENT_SCOPES = 'patient/*.rs launch/patient';
const SYSTEM_SCOPES = 'system/*.rs';

const gateway = await listenGateway();
const as = http.createServer();
await new Promise((ok) => as.listen(0, '127.0.0.1', ok));
const issuer = `http://127.0.0.1:${as.address().port}`;
const isDirectory = (client) => client.clientId === 'smartcheck-pd';

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'foreign-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'smartcheck-pa',
      client_secret: env('FOREIGN_PA_SECRET'),
      redirect_uris: ['https://client-app.com/redirect', 'https://client-app.com/callback/'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'smartcheck-pa2',
      client_secret: env('FOREIGN_PA2_SECRET'),
      redirect_uris: ['https://client-app.com/redirect'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'smartcheck-pd',
      client_secret: env('FOREIGN_PD_SECRET'),
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // SMART's confidential asymmetric client (private_key_jwt): the public half of the
      // project's demo client keys (fixtures/client-keys/), registered as its JWK set.
      client_id: 'smartcheck-pa-jwt',
      redirect_uris: ['https://client-app.com/redirect'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JSON.parse(fs.readFileSync(new URL('../../../fixtures/client-keys/demo-asymmetric.jwks.json', import.meta.url))),
    },
    {
      // The gateway's own client: it only introspects.
      client_id: 'smartcheck-gateway',
      client_secret: env('FOREIGN_GATEWAY_SECRET'),
      redirect_uris: [],
      grant_types: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  // SMART App Launch 2.0.0 asymmetric client authentication: RS384 and ES384.
  enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'RS384', 'ES256', 'ES384'] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'fhirUser', 'offline_access', ...PATIENT_SCOPES.split(' '), SYSTEM_SCOPES],
  claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    const member = MEMBERS[sub];
    if (!member) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, fhirUser: `${gateway.patientAccess}/Patient/${member.patient}` }),
    };
  },
  // Seed 002 asks for no offline_access: a client allowed refresh tokens gets one.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // The patient context travels in the token (the gateway reads it from introspection).
  extraTokenClaims: async (_ctx, token) => {
    const member = token.accountId && MEMBERS[token.accountId];
    // SMART token introspection: the launch context (SHALL) and the id_token's fhirUser (SHOULD).
    return member
      ? { patient: member.patient, fhirUser: `${gateway.patientAccess}/Patient/${member.patient}` }
      : undefined;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // SMART App Launch 2.0.0 requires PKCE (S256) of every app, confidential ones included:
  // this server insists on it, the stricter legitimate choice the suite must not fail.
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Each plan's API is the one resource its clients' tokens are for.
      defaultResource: async (_ctx, client) => (isDirectory(client) ? gateway.providerDirectory : gateway.patientAccess),
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource, client) => {
        const directory = isDirectory(client);
        if (resource !== (directory ? gateway.providerDirectory : gateway.patientAccess)) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: directory ? SYSTEM_SCOPES : PATIENT_SCOPES,
          audience: resource,
          accessTokenFormat: 'opaque',
        };
      },
    },
  },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 600, Grant: 86400 },
});

// SMART's token response carries the patient context beside the tokens.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.access_token) {
    const token = await provider.AccessToken.find(ctx.body.access_token);
    if (token?.extra?.patient) ctx.body.patient = token.extra.patient;
  }
});

const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) break;
  }
  return new URLSearchParams(body);
}

function loginPage(uid, error) {
  return page('Member sign-in', `${error ? `<p class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form>`);
}

function consentPage(uid, details) {
  return page('Share your data?', `<p>${escape(details.params.client_id)} asks for ${escape(details.params.scope)}.</p>
<form method="post" action="/interaction/${uid}/consent">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></form>`);
}

async function interaction(req, res, uid, action) {
  const send = (status, html) => {
    // The pages are this program's, not the library's: they forbid framing (RFC 9700 4.16).
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store',
      'content-security-policy': "frame-ancestors 'none'", 'x-frame-options': 'DENY',
    });
    res.end(html);
  };
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(400, page('Error', 'wrong interaction'));
  const prompt = details.prompt.name;
  if (req.method === 'GET') return send(200, prompt === 'login' ? loginPage(uid) : consentPage(uid, details));
  const form = await readForm(req);
  if (action === 'login') {
    const member = MEMBERS[form.get('username')];
    if (!member || member.password !== form.get('password')) return send(200, loginPage(uid, 'Invalid username or password'));
    return provider.interactionFinished(req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false });
  }
  if (form.get('decision') !== 'approve') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the member denied the request' }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
as.on('request', (req, res) => {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent))?$/.exec(req.url.split('?')[0]);
  if (!m) return callback(req, res);
  return interaction(req, res, m[1], m[2]).catch((e) => {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Error', escape(e.message)));
  });
});

const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
gateway.configure({
  metadata,
  introspectionEndpoint: metadata.introspection_endpoint,
  clientId: 'smartcheck-gateway',
  clientSecret: env('FOREIGN_GATEWAY_SECRET'),
  plans: {
    'smartcheck-pa': 'patient-access', 'smartcheck-pa2': 'patient-access',
    'smartcheck-pa-jwt': 'patient-access', 'smartcheck-pd': 'provider-directory',
  },
  patients: PATIENTS,
});
process.stdout.write(`READY ${JSON.stringify({ patient_access: gateway.patientAccess, provider_directory: gateway.providerDirectory })}\n`);
