// A real OAuth 2 / OpenID Connect authorization server for crdex's SMART
// client tests: oidc-provider, configured as an EHR's SMART authorization
// server, on 127.0.0.1:0.
//
//   node server.mjs CONFIG.json
//
// CONFIG: {"backendJwks": {"keys": [...]},            public keys of crdex's backend client
//          "launchApi": "http://127.0.0.1:N/smart/launches", optional: crdex's launch helper
//          "launchToken": "...",                       its bearer token
//          "resourceServer": "https://crdex.example.org",  optional: crdex as a resource server
//          "systemClients": [{"client_id", "jwks", "scope",   optional: systems that call it
//                             "opaque": true,            optional: opaque access tokens
//                             "resource": "https://...", optional: their tokens' aud
//                                                         (else resourceServer)
//                             "ttl": 300}],              optional: token lifetime, s
//          "otherResourceServers": ["https://..."],  optional: more resources tokens may be for
//          "introspectionClients": [{"client_id",    optional: resource servers that introspect
//                             "client_secret"} or {"client_id", "jwks"}]}
//
// System clients (a provider's system, a payer's data consumer) get JWT access
// tokens (RFC 9068, RS256) whose aud is resourceServer and whose scope is what
// they asked for within their registered scope: crdex verifies them. An
// "opaque" system client gets opaque tokens instead, which crdex introspects
// (RFC 7662) at /token/introspection as one of the introspectionClients
// (client_secret_basic, or private_key_jwt when it names its jwks); the
// clients revoke their tokens at /token/revocation (RFC 7009).
//
// Prints "auth server listening on http://127.0.0.1:PORT" when ready. The
// FHIR base it speaks for is http://127.0.0.1:PORT/fhir; its SMART
// configuration is at /fhir/.well-known/smart-configuration.
//
// Clients: "crdex-backend" (confidential, private_key_jwt, client_credentials,
// system/ scopes) and "crdex-app" (public, authorization code + PKCE S256).
// There is no login page: /interaction/:uid signs in a fixed practitioner and
// consents to what was asked (the tests drive the flow with libcurl). With a
// `launch` parameter the launch id is resolved once through crdex's launch
// API, and the context it returns goes into the token response.
// GET /$admin/errors lists the OAuth errors raised so far, each with the
// internal detail that the OAuth answer does not show (which check failed).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// oidc-provider warns at start-up about its development defaults (in-memory
// storage, generated signing keys), which are what a test wants.
const warn = console.warn;
console.warn = (...args) => { if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args); };
const { default: Provider, errors } = await import('oidc-provider');

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const SMART_SCOPES = [
  'launch', 'launch/patient', 'launch/encounter', 'fhirUser',
  'patient/Patient.rs', 'patient/Observation.rs', 'patient/Coverage.rs', 'user/ServiceRequest.rs',
  'system/Patient.rs', 'system/Coverage.rs', 'system/Observation.rs',
];
const SYSTEM_CLIENT_SCOPES = [...new Set((config.systemClients || []).flatMap((c) => c.scope.split(' ')))]
  .filter((scope) => !SMART_SCOPES.includes(scope));
const systemClients = new Map((config.systemClients || []).map((c) => [c.client_id, c]));
const resourceServers = [config.resourceServer, ...(config.otherResourceServers || [])].filter(Boolean);
const REDIRECT_URI = 'https://app.example.org/callback';

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const fhirBase = `${issuer}/fhir`;

const launchContexts = new Map();  // grantId -> context resolved from crdex
const recordedErrors = [];

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'crdex-backend',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: config.backendJwks,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'system/Patient.rs system/Coverage.rs system/Observation.rs',
    },
    ...(config.systemClients || []).map((c) => ({
      client_id: c.client_id,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: c.jwks,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: c.scope,
    })),
    ...(config.introspectionClients || []).map((c) => ({
      client_id: c.client_id,
      ...(c.jwks ? { token_endpoint_auth_method: 'private_key_jwt', jwks: c.jwks }
        : { token_endpoint_auth_method: 'client_secret_basic', client_secret: c.client_secret }),
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    })),
    {
      client_id: 'crdex-app',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
    },
  ],
  scopes: ['openid', 'offline_access', ...SMART_SCOPES, ...SYSTEM_CLIENT_SCOPES],
  clientAuthSigningAlgValues: ['RS384', 'ES384'],
  enabledJWA: { clientAuthSigningAlgValues: ['RS384', 'ES384'] },
  features: {
    clientCredentials: { enabled: true },
    // System clients' tokens are for crdex (resourceServer): JWTs it can
    // verify, or opaque tokens it introspects.
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client) => {
        const system = client && systemClients.get(client.clientId);
        return system ? (system.resource || config.resourceServer) : undefined;
      },
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource, client) => {
        if (!resourceServers.includes(resource)) throw new errors.InvalidTarget();
        if (client && systemClients.get(client.clientId)?.opaque) {
          return { scope: SYSTEM_CLIENT_SCOPES.join(' '), audience: resource, accessTokenFormat: 'opaque' };
        }
        return { scope: SYSTEM_CLIENT_SCOPES.join(' '), audience: resource, accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } } };
      },
    },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: false },
  },
  pkce: { required: () => true },
  // SMART: aud is the FHIR base the app wants a token for (SM-07).
  extraParams: {
    launch: null,
    aud(ctx, value) {
      if (value !== fhirBase) throw new errors.InvalidRequest(`aud must be ${fhirBase}`);
    },
  },
  // SMART asymmetric client authentication: sub = iss, exp at most 5 minutes ahead.
  assertJwtClientAuthClaimsAndHeader(ctx, claims, header, client) {
    if (claims.sub !== client.clientId) throw new errors.InvalidClientAuth('sub must be the client_id');
    const now = Math.floor(Date.now() / 1000);
    if (claims.exp > now + 300 + 15) throw new errors.InvalidClientAuth('exp more than 5 minutes ahead');
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 3600,
    ClientCredentials: (ctx, token, client) => systemClients.get(client.clientId)?.ttl || 300, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
});
provider.proxy = false;

for (const event of ['grant.error', 'authorization.error', 'server_error', 'introspection.error',
  'revocation.error']) {
  provider.on(event, (ctx, err) => {
    recordedErrors.push({ event, error: err.error || err.message, detail: err.error_detail || err.error_description || '' });
  });
}

async function resolveLaunch(launch, clientId) {
  const answer = await fetch(config.launchApi + ':resolve', {
    method: 'POST',
    headers: { authorization: `Bearer ${config.launchToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ launch, clientId }),
  });
  const body = await answer.json();
  if (answer.status !== 200) return { error: body.issue?.[0]?.diagnostics || `launch API answered ${answer.status}` };
  return { context: body };
}

// The login and consent pages a browser would show, answered at once.
async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const { params, prompt } = details;
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: 'practitioner-1' } },
      { mergeWithLastSubmission: false });
    return;
  }
  let context;
  if (params.launch) {
    if (!config.launchApi) {
      await provider.interactionFinished(req, res, { error: 'invalid_request', error_description: 'no launch helper' });
      return;
    }
    const resolved = await resolveLaunch(params.launch, params.client_id);
    if (resolved.error) {
      recordedErrors.push({ event: 'launch.error', error: 'invalid_request', detail: resolved.error });
      await provider.interactionFinished(req, res,
        { error: 'invalid_request', error_description: `launch: ${resolved.error}` });
      return;
    }
    if (resolved.context.iss !== params.aud) {
      await provider.interactionFinished(req, res,
        { error: 'invalid_request', error_description: 'aud does not match the launch iss' });
      return;
    }
    context = resolved.context;
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const grantId = await grant.save();
  if (context) launchContexts.set(grantId, context);
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

// SMART launch context in the token response (SM-10..12), for codes whose
// grant came from an EHR launch.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.access_token) return;
  const grantId = ctx.oidc?.entities?.AuthorizationCode?.grantId;
  const context = grantId && launchContexts.get(grantId);
  ctx.set('Pragma', 'no-cache');
  if (!context) return;
  const { patient, encounter, fhirContext, appContext } = context;
  Object.assign(ctx.body, { patient, encounter, fhirContext, appContext, need_patient_banner: true });
});

const smartConfiguration = () => ({
  issuer,
  jwks_uri: `${issuer}/jwks`,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  introspection_endpoint: `${issuer}/token/introspection`,
  revocation_endpoint: `${issuer}/token/revocation`,
  grant_types_supported: ['authorization_code', 'client_credentials'],
  token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
  token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
  scopes_supported: ['openid', ...SMART_SCOPES],
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  capabilities: ['launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-asymmetric',
    'context-ehr-patient', 'context-ehr-encounter', 'permission-v2', 'permission-patient', 'permission-user',
    'sso-openid-connect'],
});

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/fhir/.well-known/smart-configuration') {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(smartConfiguration()));
      return;
    }
    if (url.pathname === '/$admin/errors') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(recordedErrors));
      return;
    }
    const match = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (match) {
      await interaction(req, res, match[1]);
      return;
    }
    callback(req, res);
  } catch (err) {
    recordedErrors.push({ event: 'script', error: 'server_error', detail: String(err) });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'server_error', error_description: String(err) }));
  }
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
process.stdout.write(`auth server listening on ${issuer}\n`);
