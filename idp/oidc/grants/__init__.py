"""One module per OAuth 2.0 grant, each an Authlib grant with our storage and policies."""
