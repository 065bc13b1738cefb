// node-oidc-provider v9 as bench/token_endpoint.py's reference: client credentials, JWT access tokens, ES256.
// Usage: node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [port, clientId, clientSecret] = process.argv.slice(2);
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench-es256", alg: "ES256", use: "sig" };
const resource = "urn:bench:api";

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId, client_secret: clientSecret, grant_types: ["client_credentials"], redirect_uris: [],
    response_types: [], token_endpoint_auth_method: "client_secret_basic", scope: "jobs",
    id_token_signed_response_alg: "ES256",
  }],
  jwks: { keys: [jwk] },
  scopes: ["jobs"],
  cookies: { keys: ["bench-cookie-key"] },
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: "jobs", audience: resource, accessTokenFormat: "jwt",
        accessTokenTTL: 3600, jwt: { sign: { alg: "ES256" } } }),
    },
  },
});
provider.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
