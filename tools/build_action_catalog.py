"""Regenerate `catalog/iam.json`, `catalog/sts.json` and `catalog/access-analyzer.json` from botocore's models.

Run `.venv/bin/python tools/build_action_catalog.py` (a development tool: it needs botocore, which the
runtime does not). Action names come from
the service models botocore ships; resource types are derived from each
operation's input members (`UserName` -> user, ...); condition keys and the
permission-only actions (`iam:PassRole`, `sts:TagSession`, ...) that no API
operation carries are listed here, from the Service Authorization Reference.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore

CATALOG_DIR = Path(__file__).resolve().parent.parent / "idp" / "analyzer" / "catalog"
BOTOCORE_DATA = Path(botocore.__file__).resolve().parent / "data"

IAM_RESOURCES = {
    "user": "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}",
    "group": "arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}",
    "role": "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
    "policy": "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}",
    "instance-profile": "arn:${Partition}:iam::${Account}:instance-profile/${InstanceProfileNameWithPath}",
    "oidc-provider": "arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}",
    "saml-provider": "arn:${Partition}:iam::${Account}:saml-provider/${SamlProviderName}",
    "mfa": "arn:${Partition}:iam::${Account}:mfa/${MfaTokenIdWithPath}",
    "server-certificate": "arn:${Partition}:iam::${Account}:server-certificate/${CertificateNameWithPath}",
    "access-report": "arn:${Partition}:iam::${Account}:access-report/${EntityPath}",
    "root": "arn:${Partition}:iam::${Account}:root",
}
# The input member that names an operation's resource.
IAM_MEMBERS = {
    "UserName": "user", "GroupName": "group", "RoleName": "role", "PolicyArn": "policy",
    "InstanceProfileName": "instance-profile", "OpenIDConnectProviderArn": "oidc-provider",
    "SAMLProviderArn": "saml-provider", "SerialNumber": "mfa", "VirtualMFADeviceName": "mfa",
    "ServerCertificateName": "server-certificate", "PolicySourceArn": "user", "EntityPath": "access-report",
}
TAG_KEYS = ["aws:RequestTag/${TagKey}", "aws:TagKeys"]
IAM_CONDITION_KEYS = {
    "iam:AWSServiceName": "String", "iam:AssociatedResourceArn": "ARN", "iam:OrganizationsPolicyId": "String",
    "iam:PassedToService": "String", "iam:PermissionsBoundary": "ARN", "iam:PolicyARN": "ARN",
    "iam:ResourceTag/${TagKey}": "String",
}
IAM_ACTION_KEYS = {
    "PassRole": ["iam:AssociatedResourceArn", "iam:PassedToService", "iam:ResourceTag/${TagKey}"],
    "AttachUserPolicy": ["iam:PermissionsBoundary", "iam:PolicyARN"],
    "AttachRolePolicy": ["iam:PermissionsBoundary", "iam:PolicyARN"],
    "AttachGroupPolicy": ["iam:PolicyARN"],
    "DetachUserPolicy": ["iam:PermissionsBoundary", "iam:PolicyARN"],
    "DetachRolePolicy": ["iam:PermissionsBoundary", "iam:PolicyARN"],
    "DetachGroupPolicy": ["iam:PolicyARN"],
    "CreateUser": ["iam:PermissionsBoundary", *TAG_KEYS],
    "CreateRole": ["iam:PermissionsBoundary", *TAG_KEYS],
    "PutUserPermissionsBoundary": ["iam:PermissionsBoundary"],
    "PutRolePermissionsBoundary": ["iam:PermissionsBoundary"],
    "PutUserPolicy": ["iam:PermissionsBoundary"],
    "PutRolePolicy": ["iam:PermissionsBoundary"],
    "DeleteUserPolicy": ["iam:PermissionsBoundary"],
    "DeleteRolePolicy": ["iam:PermissionsBoundary"],
    "CreateServiceLinkedRole": ["iam:AWSServiceName"],
    "GenerateOrganizationsAccessReport": ["iam:OrganizationsPolicyId"],
}
STS_RESOURCES = {
    "role": "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
    "user": "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}",
    "self-session": "arn:${Partition}:sts::${Account}:self",
    # GetFederationToken is authorized on the federated user it makes (IAM User Guide, "Permissions for GetFederationToken").
    "federated-user": "arn:${Partition}:sts::${Account}:federated-user/${UserName}",
}
STS_CONDITION_KEYS = {
    "sts:ExternalId": "String", "sts:RoleSessionName": "String", "sts:SourceIdentity": "String",
    "sts:TransitiveTagKeys": "ArrayOfString", "sts:AWSServiceName": "ArrayOfString",
    "sts:DurationSeconds": "Numeric", "sts:TaskPolicyArn": "ARN",
    "saml:aud": "String", "saml:sub": "String", "saml:iss": "String", "saml:sub_type": "String",
    "saml:namequalifier": "String", "saml:edupersonaffiliation": "ArrayOfString",
    "accounts.google.com:aud": "String", "accounts.google.com:sub": "String", "accounts.google.com:oaud": "String",
    "cognito-identity.amazonaws.com:aud": "String", "cognito-identity.amazonaws.com:sub": "String",
    "cognito-identity.amazonaws.com:amr": "ArrayOfString",
    "graph.facebook.com:app_id": "String", "graph.facebook.com:id": "String",
    "www.amazon.com:app_id": "String", "www.amazon.com:user_id": "String",
}
STS_ACTIONS = {
    "AssumeRole": (["role"], ["sts:ExternalId", "sts:RoleSessionName", "sts:SourceIdentity",
                              "sts:TransitiveTagKeys", *TAG_KEYS]),
    "AssumeRoleWithWebIdentity": (["role"], [
        "sts:RoleSessionName", "sts:SourceIdentity", *TAG_KEYS, "accounts.google.com:aud",
        "accounts.google.com:sub", "accounts.google.com:oaud", "cognito-identity.amazonaws.com:aud",
        "cognito-identity.amazonaws.com:sub", "cognito-identity.amazonaws.com:amr", "graph.facebook.com:app_id",
        "graph.facebook.com:id", "www.amazon.com:app_id", "www.amazon.com:user_id"]),
    "AssumeRoleWithSAML": (["role"], ["sts:RoleSessionName", "sts:SourceIdentity", *TAG_KEYS, "saml:aud",
                                      "saml:sub", "saml:iss", "saml:sub_type", "saml:namequalifier",
                                      "saml:edupersonaffiliation"]),
    "GetFederationToken": (["federated-user"], TAG_KEYS),
    "TagSession": (["role", "user"], [*TAG_KEYS, "sts:TransitiveTagKeys"]),
    "SetSourceIdentity": (["role", "user"], ["sts:SourceIdentity"]),
    "SetContext": (["role"], []),
}
ANALYZER_RESOURCES = {
    "analyzer": "arn:${Partition}:access-analyzer:${Region}:${Account}:analyzer/${AnalyzerName}",
    "archive-rule": "arn:${Partition}:access-analyzer:${Region}:${Account}:analyzer/${AnalyzerName}/archive-rule/${RuleName}",
}


def access_level(name: str) -> str:
    """The Service Authorization Reference's access level, guessed from the verb."""
    if name.startswith(("Get", "Generate", "Simulate", "Decode", "Validate", "Check")):
        return "Read"
    if name.startswith("List"):
        return "List"
    if name.startswith(("Tag", "Untag")):
        return "Tagging"
    if "Policy" in name or "PermissionsBoundary" in name or name == "PassRole":
        return "Permissions management"
    return "Write"


def operations(service: str) -> dict:
    """botocore's operations of `service` (the newest API version)."""
    model = sorted((BOTOCORE_DATA / service).glob("*/service-2.json*"))[-1]
    opener = gzip.open if model.suffix == ".gz" else open
    with opener(model, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def iam_catalog() -> dict:
    """IAM actions with the resource type their input names."""
    model = operations("iam")
    actions = {}
    for name, operation in sorted(model["operations"].items()):
        members = model["shapes"][operation["input"]["shape"]]["members"] if "input" in operation else {}
        types = sorted({IAM_MEMBERS[member] for member in members if member in IAM_MEMBERS})
        keys = list(IAM_ACTION_KEYS.get(name, []))
        if "Tags" in members or name.startswith(("Tag", "Untag")):
            keys.extend(key for key in TAG_KEYS if key not in keys)
        actions[name] = {"accessLevel": access_level(name), "resourceTypes": types, "conditionKeys": keys}
    actions["PassRole"] = {"accessLevel": "Write", "resourceTypes": ["role"],
                           "conditionKeys": IAM_ACTION_KEYS["PassRole"]}
    # This product's extension: user profile attributes (docs/profiles.md).
    actions["GetUserProfile"] = {"accessLevel": "Read", "resourceTypes": ["user"], "conditionKeys": []}
    actions["UpdateUserProfile"] = {"accessLevel": "Write", "resourceTypes": ["user"], "conditionKeys": []}
    # This product's extension: invitations by mail (docs/user-lifecycle.md).
    actions["CreateUserInvitation"] = {"accessLevel": "Write", "resourceTypes": ["user"], "conditionKeys": []}
    return {"service": "iam", "name": "AWS Identity and Access Management",
            "source": f"botocore {botocore.__version__} iam {model['metadata']['apiVersion']}",
            "resourceTypes": IAM_RESOURCES, "conditionKeys": IAM_CONDITION_KEYS, "actions": actions}


def sts_catalog() -> dict:
    """STS actions, plus the permission-only ones."""
    model = operations("sts")
    actions = {}
    for name in sorted({*model["operations"], *STS_ACTIONS}):
        types, keys = STS_ACTIONS.get(name, ([], []))
        actions[name] = {"accessLevel": "Write" if name not in ("GetCallerIdentity", "DecodeAuthorizationMessage",
                                                                "GetAccessKeyInfo") else "Read",
                         "resourceTypes": types, "conditionKeys": keys}
    return {"service": "sts", "name": "AWS Security Token Service",
            "source": f"botocore {botocore.__version__} sts {model['metadata']['apiVersion']}",
            "resourceTypes": STS_RESOURCES, "conditionKeys": STS_CONDITION_KEYS, "actions": actions,
            "webIdentityKeys": True}


def analyzer_catalog() -> dict:
    """Access Analyzer's actions."""
    model = operations("accessanalyzer")
    actions = {}
    for name, operation in sorted(model["operations"].items()):
        uri = operation["http"]["requestUri"]
        types = ["analyzer"] if "analyzer" in uri or name.endswith(("Findings", "Finding", "Analyzer")) else []
        actions[name] = {"accessLevel": access_level(name), "resourceTypes": types,
                         "conditionKeys": TAG_KEYS if name in ("CreateAnalyzer", "TagResource") else []}
    # This product's extension: resource servers register resource policies for external-access findings.
    actions["RegisterResourcePolicy"] = {"accessLevel": "Write", "resourceTypes": [], "conditionKeys": []}
    actions["GetAccessGraph"] = {"accessLevel": "Read", "resourceTypes": [], "conditionKeys": []}
    actions["GetAccountFindings"] = {"accessLevel": "Read", "resourceTypes": [], "conditionKeys": []}
    return {"service": "access-analyzer", "name": "IAM Access Analyzer",
            "source": f"botocore {botocore.__version__} accessanalyzer {model['metadata']['apiVersion']}",
            "resourceTypes": ANALYZER_RESOURCES, "conditionKeys": {}, "actions": actions}


def service_prefixes() -> dict:
    """Every AWS service's signing name: prefixes that exist, even where no actions are catalogued."""
    prefixes = set()
    for directory in sorted(BOTOCORE_DATA.iterdir()):
        models = sorted(directory.glob("*/service-2.json*")) if directory.is_dir() else []
        if models:
            opener = gzip.open if models[-1].suffix == ".gz" else open
            with opener(models[-1], "rt", encoding="utf-8") as handle:
                metadata = json.load(handle)["metadata"]
            prefixes.add((metadata.get("signingName") or metadata["endpointPrefix"]).lower())
    # IAM prefixes that differ from any signing name.
    prefixes |= {"s3-object-lambda", "execute-api", "cognito-identity", "cognito-idp", "ec2messages", "ssmmessages"}
    return {"source": f"botocore {botocore.__version__} service metadata", "servicePrefixes": sorted(prefixes)}


def main() -> None:
    """Write the generated catalogue files."""
    (CATALOG_DIR / "aws-service-prefixes.json").write_text(json.dumps(service_prefixes(), indent=1) + "\n")
    for document in (iam_catalog(), sts_catalog(), analyzer_catalog()):
        path = CATALOG_DIR / f"{document['service']}.json"
        path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"{path}: {len(document['actions'])} actions")


if __name__ == "__main__":
    main()
