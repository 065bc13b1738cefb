"""HTTP endpoints of no single protocol: health probes, the input guard every request passes, and `POST /authorize`
(the shared authorizer over HTTP for resource servers)."""
