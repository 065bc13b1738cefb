// A relying party built on openid-client v6, driven step by step from pytest (tests/oidc/test_openid_client.py).
// Usage: node rp.mjs <command> '<json input>'  -> one JSON object on stdout.
import { webcrypto } from "node:crypto";
import { writeFileSync } from "node:fs";
import * as client from "openid-client";

const [command, raw] = process.argv.slice(2);
const input = JSON.parse(raw || "{}");

async function authentication(auth) {
  switch (auth.method) {
    case "client_secret_basic": return client.ClientSecretBasic(auth.secret);
    case "client_secret_post": return client.ClientSecretPost(auth.secret);
    case "private_key_jwt": {
      const key = await webcrypto.subtle.importKey("jwk", auth.jwk, { name: "ECDSA", namedCurve: "P-256" }, false,
        ["sign"]);
      return client.PrivateKeyJwt({ key, kid: auth.jwk.kid });
    }
    default: return client.None();
  }
}

async function configuration() {
  // The test server is plain http on loopback; every other check of openid-client stays on.
  return client.discovery(new URL(input.issuer), input.client_id, undefined, await authentication(input.auth),
    { execute: [client.allowInsecureRequests] });
}

const commands = {
  async discover(config) {
    return { metadata: config.serverMetadata() };
  },
  async "authorization-url"(config) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: input.redirect_uri, scope: input.scope, code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256", state, nonce, ...(input.extra || {}),
    });
    return { url: url.href, verifier, state, nonce };
  },
  async callback(config) {
    // Validates iss (RFC 9207), state, the code exchange, the ID token (signature, iss, aud, exp, nonce, at_hash).
    const tokens = await client.authorizationCodeGrant(config, new URL(input.callback), {
      pkceCodeVerifier: input.verifier, expectedState: input.state, expectedNonce: input.nonce, idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { claims, userinfo, access_token: tokens.access_token, refresh_token: tokens.refresh_token,
      scope: tokens.scope };
  },
  async refresh(config) {
    try {
      const tokens = await client.refreshTokenGrant(config, input.refresh_token);
      return { refresh_token: tokens.refresh_token, id_token_sub: tokens.claims()?.sub };
    } catch (error) {
      return { refused: error.error || error.code || String(error) };
    }
  },
  async introspect(config) {
    return { result: await client.tokenIntrospection(config, input.token) };
  },
  async revoke(config) {
    await client.tokenRevocation(config, input.token);
    return { revoked: true, after: await client.tokenIntrospection(config, input.token) };
  },
  async "client-credentials"(config) {
    const tokens = await client.clientCredentialsGrant(config, { scope: input.scope });
    return { token_type: tokens.token_type, scope: tokens.scope, expires_in: tokens.expires_in,
      access_token: tokens.access_token };
  },
  async device(config) {
    // RFC 8628 as openid-client runs it: the authorization response goes to a file the test reads (the user code),
    // then openid-client polls at the server's interval (authorization_pending, slow_down) until tokens or an error.
    const started = await client.initiateDeviceAuthorization(config, { scope: input.scope });
    writeFileSync(input.started_file, JSON.stringify(started));
    try {
      const tokens = await client.pollDeviceAuthorizationGrant(config, started);
      return { claims: tokens.claims(), access_token: tokens.access_token, refresh_token: tokens.refresh_token,
        scope: tokens.scope };
    } catch (error) {
      return { refused: error.error || error.code || String(error) };
    }
  },
  async "token-exchange"(config) {
    // RFC 8693 through openid-client's generic grant: it authenticates the client and validates the response shape.
    try {
      const tokens = await client.genericGrantRequest(config, "urn:ietf:params:oauth:grant-type:token-exchange",
        input.parameters);
      return { response: { ...tokens } };
    } catch (error) {
      return { refused: error.error || error.code || String(error), description: error.error_description };
    }
  },
  async register() {
    // RFC 7591 as openid-client does it (discovery, then POST to registration_endpoint with the initial token),
    // then a client_credentials grant with the registration it got back.
    const registered = await client.dynamicClientRegistration(new URL(input.issuer), input.metadata, undefined,
      { initialAccessToken: input.initial_access_token, execute: [client.allowInsecureRequests] });
    const tokens = await client.clientCredentialsGrant(registered, { scope: input.scope });
    return { metadata: registered.clientMetadata(), scope: tokens.scope };
  },
  async "end-session-url"(config) {
    return { url: client.buildEndSessionUrl(config, input.parameters).href };
  },
};

try {
  const config = command === "register" ? undefined : await configuration();
  const output = await commands[command](config);
  process.stdout.write(JSON.stringify({ ok: true, ...output }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error), code: error.code, cause: error.cause ? String(error.cause) : undefined }));
}
