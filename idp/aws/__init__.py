"""AWS protocols: the Query protocol (form in, XML out) and rest-json, with the IAM, STS and Access Analyzer actions as thin adapters over the services."""
