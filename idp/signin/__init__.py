"""Sign-in services: browser sessions, password checks and changes, throttles, pending sign-ins, second factors
and passkey ceremonies. Web pages, OIDC endpoints and STS all call these; no page or endpoint lives here."""
