"""`python -m examples.notes --idp URL --port N`: serve the notes example."""
from __future__ import annotations

import argparse

from examples.notes.app import API_IDENTIFIER, create_app


def main() -> None:
    """Parse the command line and serve (werkzeug, threaded: an example, not a production server)."""
    parser = argparse.ArgumentParser(description="The notes example resource server.")
    parser.add_argument("--idp", default="http://127.0.0.1:5000", help="the IdP's base URL (POST /authorize)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--audience", default=API_IDENTIFIER,
                        help="the identifier the notes API is registered under at the IdP (bearer tokens' aud)")
    args = parser.parse_args()
    create_app(args.idp, audience=args.audience).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
