"""AWS wire protocols (Query: form in, XML out; rest-json), shared by IAM, STS and the analyzer."""
