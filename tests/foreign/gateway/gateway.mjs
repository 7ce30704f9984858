// A minimal FHIR gateway of smartcheck's own, put in front of an authorization server the
// project did not write (tests/foreign/README.md). It checks every bearer token by RFC 7662
// introspection at the authorization server (no caching: a revoked token is refused at
// once), applies seed 002's plan rules, and serves a small synthetic data set: a Patient
// Access API (each member's own compartment, searchsets with absolute `next` links) and a
// Provider Directory API. Zero dependencies: Node's http module only.
//
// Used two ways: imported (`listenGateway()` then `configure()`), or as a program that
// prints one line `READY {json}`, reads its configuration as one JSON line on stdin, answers
// `CONFIGURED`, and exits when stdin closes (its parent is gone).
import http from 'node:http';

// Which plan each client is registered to is the gateway's own knowledge (seed 002: an app
// is subscribed to one plan; a token of the other plan gets "Not registered to plan").
const PATIENT_ACCESS = 'patient-access';
const PROVIDER_DIRECTORY = 'provider-directory';

const json = (res, status, body, headers = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
  res.end(text);
};

const outcome = (code, text) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, details: { text } }],
});

// The data: per patient a Patient, two Coverages, twelve EOBs and eight Observations, plus
// the payer Organization they reference (which $everything includes, as FHIR allows).
function dataset(patients) {
  const byPatient = new Map();
  const meta = (k) => ({ lastUpdated: `2026-0${1 + (k % 9)}-0${1 + (k % 9)}T12:00:00Z` });
  for (const [n, id] of patients.entries()) {
    const ref = { reference: `Patient/${id}` };
    const coverage = [1, 2].map((k) => ({
      resourceType: 'Coverage', id: `cov-${n}-${k}`, meta: meta(k), status: 'active',
      beneficiary: ref, payor: [{ reference: 'Organization/payer' }],
    }));
    const eob = Array.from({ length: 12 }, (_, k) => ({
      resourceType: 'ExplanationOfBenefit', id: `eob-${n}-${k}`, meta: meta(k), status: 'active',
      identifier: [{ system: 'urn:foreign:claim', value: `claim-${n}-${k}` }],
      use: 'claim', patient: ref, created: `2025-0${1 + (k % 9)}-1${k % 10}`,
    }));
    const observation = Array.from({ length: 8 }, (_, k) => ({
      resourceType: 'Observation', id: `obs-${n}-${k}`, meta: meta(k), status: 'final',
      code: { text: 'body weight' }, subject: ref,
    }));
    const patient = {
      resourceType: 'Patient', id, meta: meta(0), name: [{ family: `Member${n + 1}` }],
      identifier: [{ system: 'urn:foreign:member', value: `member-${n + 1}` }],
    };
    byPatient.set(id, { patient, coverage, eob, observation });
  }
  const organization = { resourceType: 'Organization', id: 'payer', name: 'Foreign Test Payer' };
  const directory = {};
  for (const type of ['Practitioner', 'PractitionerRole', 'Organization', 'Location',
    'HealthcareService', 'InsurancePlan', 'Endpoint']) {
    directory[type] = Array.from({ length: 5 }, (_, k) => ({ resourceType: type, id: `${type.toLowerCase()}-${k}` }));
  }
  for (const [k, org] of directory.Organization.entries()) org.name = `Foreign Clinic ${k + 1}`;
  for (const [k, loc] of directory.Location.entries()) {
    loc.address = { state: ['MN', 'WI'][k % 2], country: 'US' };
  }
  return { byPatient, organization, directory };
}

// A searchset page of `all` from `offset`, with an absolute `next` link when more remain.
function page(base, path, params, all, offset, count) {
  const entries = all.slice(offset, offset + count);
  const link = [{ relation: 'self', url: `${base}${path}` }];
  if (offset + count < all.length) {
    const next = new URLSearchParams(params);
    next.set('_count', String(count));
    next.set('_offset', String(offset + count));
    link.push({ relation: 'next', url: `${base}${path.split('?')[0]}?${next}` });
  }
  return {
    resourceType: 'Bundle', type: 'searchset', total: all.length, link,
    entry: entries.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r })),
  };
}

// The search parameters the IGs of seed 001 require that this gateway applies (FHIR R4
// search): `identifier` (a token, `system|value` or a value only), `_lastUpdated` (with ge, gt,
// le or lt), `name` (a string: starts with, any case) and `address-state`. Other parameters
// are ignored, as FHIR's lenient default allows; a value it cannot read is a 400.
function filtered(params, all) {
  let out = all;
  const identifier = params.get('identifier');
  if (identifier !== null) {
    const [system, value] = identifier.includes('|') ? identifier.split('|', 2) : ['', identifier];
    out = out.filter((r) => (r.identifier || []).some((i) => i.value === value && (system === '' || i.system === system)));
  }
  const updated = params.get('_lastUpdated');
  if (updated !== null) {
    const [, prefix, date] = /^(ge|gt|le|lt)?(.*)$/.exec(updated);
    const t = Date.parse(date);
    if (prefix === undefined || Number.isNaN(t)) throw new Error('_lastUpdated takes ge, gt, le or lt and a date');
    const keep = { ge: (u) => u >= t, gt: (u) => u > t, le: (u) => u <= t, lt: (u) => u < t }[prefix];
    out = out.filter((r) => keep(Date.parse(r.meta?.lastUpdated ?? '')));
  }
  const name = params.get('name');
  if (name !== null) out = out.filter((r) => typeof r.name === 'string' && r.name.toLowerCase().startsWith(name.toLowerCase()));
  const state = params.get('address-state');
  if (state !== null) {
    out = out.filter((r) => [r.address].flat().some((a) => a?.state?.toLowerCase() === state.toLowerCase()));
  }
  return out;
}

// `_count` and `_offset` as FHIR search expects them: non-negative integers, else 400.
function paging(params) {
  const read = (name, dflt) => {
    const v = params.get(name);
    if (v === null || v === '') return dflt;
    if (!/^[0-9]{1,6}$/.test(v)) throw new Error(`${name} must be a non-negative integer`);
    return Number(v);
  };
  const count = Math.min(read('_count', 10), 50);
  return { count: count === 0 ? 10 : count, offset: read('_offset', 0) };
}

export async function listenGateway() {
  let config = null;
  const server = http.createServer((req, res) => {
    handle(config, server, req, res).catch((e) => {
      json(res, 502, outcome('exception', `gateway: ${e.message}`));
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const root = `http://127.0.0.1:${server.address().port}`;
  return {
    server,
    root,
    patientAccess: `${root}/fhir`,
    providerDirectory: `${root}/provider-directory/fhir`,
    // issuer, metadata (the AS's discovery document, as an object), introspection endpoint,
    // the gateway's own client, the plan of each client id, the patient ids.
    configure(c) {
      config = { ...c, data: dataset(c.patients) };
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

function smartConfiguration(m) {
  return {
    issuer: m.issuer,
    jwks_uri: m.jwks_uri,
    authorization_endpoint: m.authorization_endpoint,
    token_endpoint: m.token_endpoint,
    registration_endpoint: m.registration_endpoint,
    introspection_endpoint: m.introspection_endpoint,
    revocation_endpoint: m.revocation_endpoint,
    grant_types_supported: m.grant_types_supported,
    response_types_supported: m.response_types_supported,
    token_endpoint_auth_methods_supported: m.token_endpoint_auth_methods_supported,
    introspection_endpoint_auth_methods_supported: m.introspection_endpoint_auth_methods_supported,
    revocation_endpoint_auth_methods_supported: m.revocation_endpoint_auth_methods_supported,
    code_challenge_methods_supported: m.code_challenge_methods_supported,
    scopes_supported: m.scopes_supported,
    capabilities: ['launch-standalone', 'client-confidential-symmetric', 'context-standalone-patient',
      'permission-patient', 'sso-openid-connect'],
  };
}

function capabilityStatement(kind, m) {
  // SMART App Launch 2: the oauth-uris extension names the authorize and token endpoints.
  const uris = [['authorize', m.authorization_endpoint], ['token', m.token_endpoint],
    ['revoke', m.revocation_endpoint], ['introspect', m.introspection_endpoint]]
    .filter(([, v]) => v).map(([url, valueUri]) => ({ url, valueUri }));
  return {
    resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1',
    format: ['application/fhir+json'], date: '2026-12-04',
    rest: [{
      mode: 'server',
      security: {
        extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: uris }],
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      },
      resource: (kind === PATIENT_ACCESS
        ? ['Patient', 'Coverage', 'ExplanationOfBenefit', 'Observation']
        : ['Practitioner', 'PractitionerRole', 'Organization', 'Location', 'HealthcareService', 'InsurancePlan', 'Endpoint'])
        .map((type) => ({ type, interaction: [{ code: 'read' }, { code: 'search-type' }] })),
    }],
  };
}

// RFC 7662: the gateway authenticates with its own confidential client.
async function introspect(config, token) {
  const basic = Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64');
  const res = await fetch(config.introspectionEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  if (!res.ok) throw new Error(`introspection answered ${res.status}`);
  return res.json();
}

async function handle(config, server, req, res) {
  if (!config) return json(res, 503, outcome('transient', 'gateway not configured yet'));
  const root = `http://127.0.0.1:${server.address().port}`;
  const url = new URL(req.url, root);
  let kind; let base; let path;
  if (url.pathname.startsWith('/provider-directory/fhir')) {
    kind = PROVIDER_DIRECTORY; base = `${root}/provider-directory/fhir`;
    path = url.pathname.slice('/provider-directory/fhir'.length);
  } else if (url.pathname.startsWith('/fhir')) {
    kind = PATIENT_ACCESS; base = `${root}/fhir`; path = url.pathname.slice('/fhir'.length);
  } else {
    return json(res, 404, outcome('not-found', 'no such path'));
  }
  if (req.method !== 'GET') return json(res, 405, outcome('not-supported', 'read-only API'));
  if (path === '/.well-known/smart-configuration') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(smartConfiguration(config.metadata)));
  }
  if (path === '/metadata') return json(res, 200, capabilityStatement(kind, config.metadata));

  const auth = req.headers.authorization || '';
  const token = /^Bearer [A-Za-z0-9\-._~+/]+=*$/.test(auth) ? auth.slice(7) : null;
  const challenge = (error) => ({ 'www-authenticate': error ? `Bearer realm="fhir", error="${error}"` : 'Bearer realm="fhir"' });
  if (!token) return json(res, 401, outcome('login', 'a bearer token is required'), challenge(auth ? 'invalid_request' : null));
  const info = await introspect(config, token);
  if (info.active !== true) return json(res, 401, outcome('login', 'the token is not active'), challenge('invalid_token'));
  const scopes = new Set(String(info.scope || '').split(' '));
  const plan = config.plans[info.client_id];
  // RFC 6750 3: a token that does not enable access gets a challenge with its 403.
  if (plan !== kind) return json(res, 403, outcome('forbidden', 'Not registered to plan'), challenge('insufficient_scope'));
  const params = url.searchParams;
  let pageOf;
  try {
    pageOf = paging(params);
  } catch (e) {
    return json(res, 400, outcome('invalid', e.message));
  }
  const search = (all) => {
    let hits;
    try {
      hits = filtered(params, all);
    } catch (e) {
      return json(res, 400, outcome('invalid', e.message));
    }
    return json(res, 200, page(base, `${path}${url.search}`, params, hits, pageOf.offset, pageOf.count));
  };

  if (kind === PROVIDER_DIRECTORY) {
    if (!scopes.has('system/*.rs')) return json(res, 403, outcome('forbidden', 'insufficient scope'), challenge('insufficient_scope'));
    const [, type, id] = path.split('/');
    const all = config.data.directory[type];
    if (!all) return json(res, 404, outcome('not-found', `no resource type ${type}`));
    if (id === undefined) return search(all);
    const one = all.find((r) => r.id === id);
    return one ? json(res, 200, one) : json(res, 404, outcome('not-found', 'no such resource'));
  }

  // Patient Access: the token must carry both patient-level scopes and a patient context.
  if (!scopes.has('patient/*.rs') || !scopes.has('launch/patient') || !info.patient) {
    return json(res, 403, outcome('forbidden', 'insufficient scope'), challenge('insufficient_scope'));
  }
  const own = config.data.byPatient.get(info.patient);
  const segments = path.split('/').slice(1);
  const type = segments[0];
  const id = segments[1] === undefined ? undefined : decodeURIComponent(segments[1]);
  if (id !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return json(res, 400, outcome('invalid', 'malformed id'));
  const forbidden = () => json(res, 403, outcome('forbidden', 'outside the patient compartment'), challenge('insufficient_scope'));
  const wants = params.get('patient');
  if (wants !== null && wants !== info.patient && wants !== `Patient/${info.patient}`) return forbidden();
  const collections = { Coverage: own.coverage, ExplanationOfBenefit: own.eob, Observation: own.observation };
  if (type === 'Patient') {
    if (id === undefined) return search([own.patient]);
    if (id !== info.patient) return forbidden();
    if (segments[2] === undefined) return json(res, 200, own.patient);
    if (segments[2] !== '$everything') return json(res, 404, outcome('not-found', 'no such operation'));
    const since = params.get('_since');
    if (since !== null && Number.isNaN(Date.parse(since))) return json(res, 400, outcome('invalid', '_since must be an instant'));
    return search([own.patient, ...own.coverage, config.data.organization, ...own.eob, ...own.observation]);
  }
  const all = collections[type];
  if (!all) return json(res, 404, outcome('not-found', `no resource type ${type}`));
  if (id === undefined) return search(all);
  const one = all.find((r) => r.id === id);
  if (one) return json(res, 200, one);
  // Another patient's resource is as private as a missing one.
  return json(res, 404, outcome('not-found', 'no such resource'));
}

// As a program: the configuration comes on stdin, after `READY {urls}`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const gw = await listenGateway();
  process.stdout.write(`READY ${JSON.stringify({ patient_access: gw.patientAccess, provider_directory: gw.providerDirectory })}\n`);
  let input = '';
  process.stdin.on('data', (d) => {
    input += d;
    const nl = input.indexOf('\n');
    if (nl >= 0 && !gw.configured) {
      gw.configured = true;
      gw.configure(JSON.parse(input.slice(0, nl)));
      process.stdout.write('CONFIGURED\n');
    }
  });
  process.stdin.on('end', () => process.exit(0));
}
