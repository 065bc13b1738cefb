"""ValidatePolicy findings, one table row per issue code: the exact findings a document must produce."""
import json

import pytest

from idp.analyzer.validation import validate_policy

V = "2012-10-17"
ACCOUNT = "123456789012"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def doc(*statements, version=V, **top):
    document = {"Version": version, **top, "Statement": list(statements)} if version else {
        **top, "Statement": list(statements)}
    return json.dumps(document, indent=2)


def allow(action="iam:GetUser", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal, action="sts:AssumeRole", **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


S0 = [{"value": "Statement"}, {"index": 0}]
S1 = [{"value": "Statement"}, {"index": 1}]
IDENTITY, RESOURCE, SCP = "IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY"
TRUST = "AWS::IAM::AssumeRolePolicyDocument"

# (id, policy type, resource type, document, [(finding type, issue code, path)])
CASES = [
    # --- ERROR -------------------------------------------------------------------------------------
    ("json-syntax", IDENTITY, None, '{"Version": "2012-10-17", "Statement": [', [("ERROR", "JSON_SYNTAX_ERROR", [])]),
    ("not-an-object", IDENTITY, None, '["Statement"]', [("ERROR", "DATA_TYPE_MISMATCH", [])]),
    ("duplicate-key", IDENTITY, None, '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}',
     [("ERROR", "JSON_SYNTAX_ERROR", [])]),
    ("policy-size", IDENTITY, None, doc(*[allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/u{i:04}")
                                          for i in range(120)]),
     [("WARNING", "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", [])]),
    ("scp-size", SCP, None, doc(*[{"Effect": "Deny", "Action": "iam:GetUser",
                                   "Resource": f"arn:aws:iam::{ACCOUNT}:user/u{i:04}"} for i in range(100)]),
     [("ERROR", "POLICY_SIZE_EXCEEDS_SCP_QUOTA", [])]),
    ("trust-size", RESOURCE, TRUST, doc(trust({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/u{i:04}" for i in range(60)]})),
     [("WARNING", "POLICY_SIZE_EXCEEDED", [])]),
    ("policy-nesting", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:username": [[[["a"]]]]}})),
     [("ERROR", "POLICY_NESTING_EXCEEDED", [])]),
    ("invalid-action", IDENTITY, None, doc(allow(["iam:GetUsr"])),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}, {"index": 0}])]),
    ("wildcard-action-matching-nothing", IDENTITY, None, doc(allow("iam:Fly*")),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}])]),
    ("invalid-action-format", IDENTITY, None, doc(allow("iam:Get User")),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}])]),
    ("invalid-service", IDENTITY, None, doc(allow("iamm:GetUser")),
     [("ERROR", "INVALID_SERVICE_IN_ACTION", S0 + [{"value": "Action"}])]),
    # IAM stores these action strings (they match no request); AWS's analyzer calls each an invalid action.
    ("malformed-action-strings", IDENTITY, None, doc(allow(["s3: GetObject", "iam:", "iam:Get,List", "GetUser"])),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}, {"index": i}]) for i in range(4)]),
    ("wildcard-in-service", IDENTITY, None, doc(allow("i*:GetUser")),
     [("SUGGESTION", "WILDCARD_IN_SERVICE_NAME", S0 + [{"value": "Action"}])]),
    ("invalid-arn-resource", IDENTITY, None, doc(allow(resource=f"arn:aws:iam::{ACCOUNT}:usr/alice")),
     [("ERROR", "INVALID_ARN_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("invalid-arn-account", IDENTITY, None, doc(allow(resource="arn:aws:iam::12345:user/alice")),
     [("ERROR", "INVALID_ARN_ACCOUNT", S0 + [{"value": "Resource"}])]),
    ("invalid-arn-region", IDENTITY, None, doc(allow(resource=f"arn:aws:iam:us-east-1:{ACCOUNT}:user/alice")),
     [("ERROR", "ARN_REGION_NOT_ALLOWED", S0 + [{"value": "Resource"}])]),
    ("arn-account-not-allowed", IDENTITY, None, doc(allow("notes:GetNote", f"arn:aws:notes::{ACCOUNT}:notebook/a")),
     [("ERROR", "ARN_ACCOUNT_NOT_ALLOWED", S0 + [{"value": "Resource"}])]),
    ("invalid-partition", IDENTITY, None, doc(allow(resource=f"arn:aws-x:iam::{ACCOUNT}:user/a")),
     [("ERROR", "INVALID_PARTITION", S0 + [{"value": "Resource"}])]),
    ("invalid-arn-service-case", IDENTITY, None, doc(allow(resource=f"arn:aws:IAM::{ACCOUNT}:user/a")),
     [("ERROR", "INVALID_ARN_SERVICE_CASE", S0 + [{"value": "Resource"}])]),
    ("short-arn-and-null-resource", IDENTITY, None, doc(allow(resource=["arn:aws:xyz", None])),
     [("ERROR", "MISSING_ARN_FIELD", S0 + [{"value": "Resource"}, {"index": 0}]),
      ("ERROR", "DATA_TYPE_MISMATCH", S0 + [{"value": "Resource"}, {"index": 1}])]),
    ("missing-arn-field", IDENTITY, None, doc(allow(resource="arn:aws:iam::user/alice")),
     [("ERROR", "MISSING_ARN_FIELD", S0 + [{"value": "Resource"}])]),
    ("invalid-arn-prefix", IDENTITY, None, doc(allow(resource="user/alice")),
     [("ERROR", "INVALID_ARN_PREFIX", S0 + [{"value": "Resource"}])]),
    ("invalid-condition-operator", IDENTITY, None,
     doc(allow(Condition={"StringEqualz": {"aws:username": "alice"}})),
     [("ERROR", "INVALID_CONDITION_OPERATOR", S0 + [{"value": "Condition"}, {"value": "StringEqualz"}])]),
    ("null-with-if-exists", IDENTITY, None, doc(allow(Condition={"NullIfExists": {"aws:username": "true"}})),
     [("ERROR", "NULL_WITH_IF_EXISTS", S0 + [{"value": "Condition"}, {"value": "NullIfExists"}])]),
    ("invalid-condition-key-format", IDENTITY, None, doc(allow(Condition={"StringEquals": {"username": "a"}})),
     [("ERROR", "INVALID_CONDITION_KEY_FORMAT",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "username"}])]),
    ("type-mismatch-number", IDENTITY, None,
     doc(allow(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "soon"}})),
     [("WARNING", "TYPE_MISMATCH_NUMBER",
       S0 + [{"value": "Condition"}, {"value": "NumericLessThan"}, {"value": "aws:MultiFactorAuthAge"}])]),
    ("type-mismatch-date", IDENTITY, None, doc(allow(Condition={"DateLessThan": {"aws:CurrentTime": "soon"}})),
     [("WARNING", "TYPE_MISMATCH_DATE",
       S0 + [{"value": "Condition"}, {"value": "DateLessThan"}, {"value": "aws:CurrentTime"}])]),
    ("type-mismatch-ip-range", IDENTITY, None, doc(allow(Condition={"IpAddress": {"aws:SourceIp": "here"}})),
     [("WARNING", "TYPE_MISMATCH_IP_RANGE",
       S0 + [{"value": "Condition"}, {"value": "IpAddress"}, {"value": "aws:SourceIp"}])]),
    ("type-mismatch-boolean", IDENTITY, None, doc(allow(Condition={"Null": {"aws:username": "maybe"}})),
     [("WARNING", "TYPE_MISMATCH_BOOLEAN",
       S0 + [{"value": "Condition"}, {"value": "Null"}, {"value": "aws:username"}])]),
    ("null-with-qualifier", IDENTITY, None, doc(allow(Condition={"ForAnyValue:Null": {"aws:TagKeys": "true"}})),
     [("SUGGESTION", "NULL_WITH_QUALIFIER", S0 + [{"value": "Condition"}, {"value": "ForAnyValue:Null"}])]),
    ("missing-qualifier", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:TagKeys": "team"}})),
     [("ERROR", "MISSING_QUALIFIER",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "aws:TagKeys"}])]),
    ("missing-tag-key", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:ResourceTag": "x"}})),
     [("ERROR", "MISSING_TAG_KEY_IN_CONDITION",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "aws:ResourceTag"}])]),
    ("invalid-global-condition-key", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:UsrName": "a"}})),
     [("ERROR", "INVALID_GLOBAL_CONDITION_KEY",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "aws:UsrName"}])]),
    ("condition-keys-are-case-insensitive", IDENTITY, None,
     doc(allow(Condition={"StringEquals": {"AWS:UserName": "a"}})), []),
    ("invalid-service-condition-key", IDENTITY, None,
     doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/app",
               Condition={"StringEquals": {"iam:PassedToServices": "ec2.amazonaws.com"}})),
     [("ERROR", "INVALID_SERVICE_CONDITION_KEY",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "iam:PassedToServices"}])]),
    ("invalid-effect", IDENTITY, None, doc({"Effect": "Permit", "Action": "iam:GetUser", "Resource": "*"}),
     [("ERROR", "INVALID_EFFECT", S0 + [{"value": "Effect"}])]),
    ("missing-effect", IDENTITY, None, doc({"Action": "iam:GetUser", "Resource": "*"}),
     [("ERROR", "MISSING_EFFECT", S0)]),
    ("missing-action", IDENTITY, None, doc({"Effect": "Allow", "Resource": "*"}),
     [("ERROR", "MISSING_ACTION", S0)]),
    ("missing-resource", IDENTITY, None, doc({"Effect": "Allow", "Action": "iam:GetUser"}),
     [("ERROR", "MISSING_RESOURCE", S0)]),
    ("missing-principal", RESOURCE, None, doc(allow("notes:GetNote", "arn:aws:notes:::notebook/team/*")),
     [("ERROR", "MISSING_PRINCIPAL", S0)]),
    ("missing-statement", IDENTITY, None, json.dumps({"Version": V}), [("ERROR", "MISSING_STATEMENT", [])]),
    ("invalid-version", IDENTITY, None, doc(allow(), version="2012-10-18"),
     [("ERROR", "INVALID_VERSION", [{"value": "Version"}])]),
    ("invalid-policy-element", IDENTITY, None, doc(allow(), Comment="hi"),
     [("ERROR", "INVALID_POLICY_ELEMENT", [{"key": "Comment"}])]),
    ("unknown-statement-element", IDENTITY, None, doc(allow(Actions="iam:GetUser")),
     [("ERROR", "INVALID_POLICY_ELEMENT", S0 + [{"value": "Actions"}])]),
    ("unsupported-principal", IDENTITY, None, doc(allow(Principal="*")),
     [("ERROR", "UNSUPPORTED_PRINCIPAL", S0 + [{"value": "Principal"}])]),
    ("scp-principal", SCP, None, doc({"Effect": "Deny", "Principal": "*", "Action": "iam:*", "Resource": "*"}),
     [("ERROR", "SCP_SYNTAX_ERROR_PRINCIPAL", S0 + [{"value": "Principal"}])]),
    ("trust-with-resource", RESOURCE, TRUST, doc(trust({"AWS": ACCOUNT}, Resource="*")),
     [("ERROR", "INVALID_POLICY_ELEMENT", S0 + [{"value": "Resource"}])]),
    ("trust-with-other-action", RESOURCE, TRUST, doc(trust({"AWS": ACCOUNT}, "iam:GetUser")),
     [("ERROR", "UNSUPPORTED_ACTION_IN_POLICY", S0 + [{"value": "Action"}])]),
    ("action-and-not-action", IDENTITY, None, doc(allow(NotAction="iam:ListUsers")),
     [("ERROR", "UNSUPPORTED_ELEMENT_COMBINATION", S0)]),
    ("invalid-principal-key", RESOURCE, TRUST, doc(trust({"User": ACCOUNT})),
     [("ERROR", "INVALID_PRINCIPAL_KEY", S0 + [{"value": "Principal"}])]),
    ("invalid-principal-format", RESOURCE, TRUST, doc(trust({"AWS": "alice"})),
     [("ERROR", "INVALID_PRINCIPAL_FORMAT", S0 + [{"value": "Principal"}, {"value": "AWS"}])]),
    ("wildcard-in-principal", RESOURCE, TRUST, doc(trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/*"})),
     [("ERROR", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", S0 + [{"value": "Principal"}, {"value": "AWS"}])]),
    ("principal-list-entry", RESOURCE, TRUST, doc(trust({"AWS": [ACCOUNT, "bob"]})),
     [("ERROR", "INVALID_PRINCIPAL_FORMAT", S0 + [{"value": "Principal"}, {"value": "AWS"}, {"index": 1}])]),
    ("data-type-mismatch", IDENTITY, None, doc(allow(action=7)),
     [("ERROR", "DATA_TYPE_MISMATCH", S0 + [{"value": "Action"}])]),
    ("duplicate-sid", IDENTITY, None, doc(allow(Sid="A"), allow("iam:ListUsers", Sid="A")),
     [("ERROR", "UNIQUE_SIDS_REQUIRED", S1 + [{"value": "Sid"}])]),
    ("duplicate-sid-in-resource-policy", RESOURCE, None,
     doc({"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "notes:GetNote",
          "Resource": "arn:aws:notes:::notebook/a"},
         {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "notes:ListNotes",
          "Resource": "arn:aws:notes:::notebook/b"}),
     [("WARNING", "UNIQUE_SIDS_RECOMMENDED", S1 + [{"value": "Sid"}])]),
    ("every-broken-statement-is-reported", IDENTITY, None,
     doc({"Effect": "Allow", "Resource": "*"}, {"Effect": "Allow", "Action": "iam:GetUser"}),
     [("ERROR", "MISSING_ACTION", S0), ("ERROR", "MISSING_RESOURCE", S1)]),
    # --- SECURITY_WARNING --------------------------------------------------------------------------
    ("pass-role-star", IDENTITY, None, doc(allow(["iam:PassRole"])),
     [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("pass-role-through-service-wildcard", IDENTITY, None, doc(allow("iam:*")),
     [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", S0 + [{"value": "Resource"}]),
      ("WARNING", "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("pass-role-through-wildcard-action", IDENTITY, None, doc(allow("iam:Pass*", ["*"])),
     [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
       S0 + [{"value": "Resource"}, {"index": 0}])]),
    ("pass-role-not-resource", IDENTITY, None,
     doc({"Effect": "Allow", "Action": "iam:PassRole", "NotResource": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}]),
      ("SECURITY_WARNING", "PASS_ROLE_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}])]),
    ("not-action-on-every-resource", IDENTITY, None, doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_ACTION", S0 + [{"key": "NotAction"}]),
      ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", S0 + [{"value": "Resource"}]),
      ("WARNING", "CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", S0 + [{"value": "Resource"}])]),
    ("wildcard-action-not-resource", IDENTITY, None,
     doc({"Effect": "Allow", "Action": "iam:*", "NotResource": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}]),
      ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", S0 + [{"key": "NotResource"}]),
      ("WARNING", "CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", S0 + [{"key": "NotResource"}])]),
    ("not-action-not-resource", IDENTITY, None,
     doc({"Effect": "Allow", "NotAction": "s3:*", "NotResource": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_ACTION", S0 + [{"key": "NotAction"}]),
      ("SECURITY_WARNING", "ALLOW_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}]),
      ("SECURITY_WARNING", "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE", S0 + [{"key": "NotResource"}]),
      ("WARNING", "CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE", S0 + [{"key": "NotResource"}])]),
    ("create-slr-not-resource", IDENTITY, None,
     doc({"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
          "NotResource": f"arn:aws:iam::{ACCOUNT}:role/a"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}]),
      ("WARNING", "CREATE_SLR_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}])]),
    ("create-slr-star", IDENTITY, None, doc(allow("iam:CreateServiceLinkedRole")),
     [("WARNING", "CREATE_SLR_WITH_STAR_IN_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("allow-not-action", IDENTITY, None, doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_ACTION", S0 + [{"key": "NotAction"}])]),
    ("allow-not-resource", IDENTITY, None,
     doc({"Effect": "Allow", "Action": "iam:GetUser", "NotResource": f"arn:aws:iam::{ACCOUNT}:user/root-ish"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_RESOURCE", S0 + [{"key": "NotResource"}])]),
    ("allow-not-principal", RESOURCE, None,
     doc({"Effect": "Allow", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "notes:GetNote",
          "Resource": "arn:aws:notes:::notebook/team/*"}),
     [("SECURITY_WARNING", "ALLOW_WITH_NOT_PRINCIPAL", S0 + [{"key": "NotPrincipal"}])]),
    ("trust-star-without-condition", RESOURCE, TRUST, doc(trust("*")),
     [("SECURITY_WARNING", "TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION", S0 + [{"value": "Principal"}])]),
    ("github-trust-without-aud-or-sub", RESOURCE, TRUST,
     doc(trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity")),
     [("SECURITY_WARNING", "WEB_IDENTITY_TRUST_MISSING_AUD", S0 + [{"value": "Principal"}, {"value": "Federated"}]),
      ("SECURITY_WARNING", "WEB_IDENTITY_TRUST_WILDCARD_SUB", S0 + [{"value": "Principal"}, {"value": "Federated"}])]),
    ("github-trust-wildcard-sub", RESOURCE, TRUST,
     doc(trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity", Condition={
         "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
         "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}})),
     [("SECURITY_WARNING", "WEB_IDENTITY_TRUST_WILDCARD_SUB",
       S0 + [{"value": "Condition"}, {"value": "StringLike"}, {"value": "token.actions.githubusercontent.com:sub"}])]),
    ("oidc-trust-missing-aud", RESOURCE, TRUST,
     doc(trust({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"},
               "sts:AssumeRoleWithWebIdentity", Condition={"StringEquals": {"idp.example.com:sub": "alice"}})),
     [("SECURITY_WARNING", "WEB_IDENTITY_TRUST_MISSING_AUD", S0 + [{"value": "Principal"}, {"value": "Federated"}])]),
    # --- WARNING -----------------------------------------------------------------------------------
    ("wildcard-without-like", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:username": "a*"}})),
     [("WARNING", "WILDCARD_WITHOUT_LIKE_OPERATOR",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"value": "aws:username"}])]),
    ("missing-version", IDENTITY, None, doc(allow(), version=None), [("WARNING", "MISSING_VERSION", [])]),
    ("forallvalues-single-valued", IDENTITY, None,
     doc(allow(Condition={"ForAllValues:StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/a"}})),
     [("SECURITY_WARNING", "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
       S0 + [{"value": "Condition"}, {"value": "ForAllValues:StringEquals"}, {"key": "aws:PrincipalArn"}])]),
    ("unsupported-condition-key", IDENTITY, None,
     doc(allow(Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})),
     [("WARNING", "UNSUPPORTED_CONDITION_KEY_FOR_ACTION",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "iam:PassedToService"}])]),
    ("web-identity-key-on-assume-role", RESOURCE, TRUST,
     doc(trust({"AWS": ACCOUNT}, Condition={"StringEquals": {"idp.example.com:sub": "alice"}})),
     [("WARNING", "UNSUPPORTED_CONDITION_KEY_FOR_ACTION",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"key": "idp.example.com:sub"}])]),
    # --- SUGGESTION --------------------------------------------------------------------------------
    ("redundant-action", IDENTITY, None, doc(allow(["iam:Get*", "iam:GetUser"])),
     [("SUGGESTION", "REDUNDANT_ACTION", S0 + [{"value": "Action"}, {"index": 1}])]),
    ("duplicate-action", IDENTITY, None, doc(allow(["iam:GetUser", "IAM:getuser"])),
     [("SUGGESTION", "REDUNDANT_ACTION", S0 + [{"value": "Action"}, {"index": 1}])]),
    ("redundant-statement", IDENTITY, None,
     doc(allow("iam:Get*"), allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/alice")),
     [("SUGGESTION", "REDUNDANT_STATEMENT", S1)]),
    ("identical-statements", IDENTITY, None, doc(allow(), allow()), [("SUGGESTION", "REDUNDANT_STATEMENT", S1)]),
    ("empty-array-action", IDENTITY, None, doc(allow([])),
     [("SUGGESTION", "EMPTY_ARRAY_ACTION", S0 + [{"value": "Action"}])]),
    ("empty-array-resource", IDENTITY, None, doc(allow(resource=[])),
     [("SUGGESTION", "EMPTY_ARRAY_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("empty-array-principal", RESOURCE, TRUST, doc(trust({"AWS": []})),
     [("SUGGESTION", "EMPTY_ARRAY_PRINCIPAL", S0 + [{"value": "Principal"}, {"value": "AWS"}])]),
    ("empty-object-principal", RESOURCE, TRUST, doc(trust({})),
     [("SUGGESTION", "EMPTY_OBJECT_PRINCIPAL", S0 + [{"value": "Principal"}])]),
    ("empty-object-condition", IDENTITY, None, doc(allow(Condition={})),
     [("SUGGESTION", "EMPTY_OBJECT_CONDITION", S0 + [{"value": "Condition"}])]),
    ("empty-array-condition", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:username": []}})),
     [("SUGGESTION", "EMPTY_ARRAY_CONDITION",
       S0 + [{"value": "Condition"}, {"value": "StringEquals"}, {"value": "aws:username"}])]),
    ("empty-array-condition-variants", IDENTITY, None, doc(allow(Condition={
        "ForAllValues:StringEquals": {"aws:TagKeys": []}, "ForAnyValue:StringEquals": {"aws:TagKeys": []},
        "StringEqualsIfExists": {"aws:username": []}})),
     [("SUGGESTION", f"EMPTY_ARRAY_CONDITION_{suffix}",
       S0 + [{"value": "Condition"}, {"value": op}, {"value": key}])
      for suffix, op, key in (("FORALLVALUES", "ForAllValues:StringEquals", "aws:TagKeys"),
                              ("FORANYVALUE", "ForAnyValue:StringEquals", "aws:TagKeys"),
                              ("IFEXISTS", "StringEqualsIfExists", "aws:username"))]),
    ("empty-condition-operator-map", IDENTITY, None, doc(allow(Condition={"StringEquals": {}})),
     [("SUGGESTION", "EMPTY_OBJECT_CONDITION", S0 + [{"value": "Condition"}, {"value": "StringEquals"}])]),
    ("empty-sid", IDENTITY, None, doc(allow(Sid="")), [("SUGGESTION", "EMPTY_SID_VALUE", S0 + [{"value": "Sid"}])]),
    # --- clean documents ---------------------------------------------------------------------------
    ("github-trust-done-right", RESOURCE, TRUST,
     doc(trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity", Condition={
         "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
         "StringLike": {"token.actions.githubusercontent.com:sub": "repo:corp/app:ref:refs/heads/main"}})), []),
    ("pass-role-scoped", IDENTITY, None,
     doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/app",
               Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})), []),
    ("notes-resource-policy", RESOURCE, None,
     doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
          "Action": ["notes:GetNote", "notes:ListNotes"], "Resource": "arn:aws:notes:::notebook/team*"}), []),
    ("uncatalogued-service-is-not-an-error", IDENTITY, None, doc(allow("s3:GetObject", "arn:aws:s3:::b/*")), []),
    ("scp", SCP, None, doc({"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*"}), []),
]


@pytest.mark.parametrize(("policy_type", "resource_type", "document", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_findings(policy_type, resource_type, document, expected):
    findings = [f.as_json() for f in validate_policy(document, policy_type, resource_type)]
    assert [(f["findingType"], f["issueCode"], f["locations"][0]["path"]) for f in findings] == expected


# Every code the product can emit, with its finding type as AWS's policy check reference gives it
# (docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html); None: not an AWS check.
AWS_TYPES = {
    "JSON_SYNTAX_ERROR": "ERROR", "DATA_TYPE_MISMATCH": "ERROR", "INVALID_POLICY_ELEMENT": "ERROR",
    "INVALID_VERSION": "ERROR", "MISSING_STATEMENT": "ERROR", "UNIQUE_SIDS_REQUIRED": "ERROR",
    "MISSING_EFFECT": "ERROR", "INVALID_EFFECT": "ERROR", "MISSING_ACTION": "ERROR", "INVALID_ACTION": "ERROR",
    "INVALID_SERVICE_IN_ACTION": "ERROR", "MISSING_RESOURCE": "ERROR", "MISSING_ARN_FIELD": "ERROR",
    "INVALID_ARN_PREFIX": "ERROR", "INVALID_ARN_ACCOUNT": "ERROR", "ARN_REGION_NOT_ALLOWED": "ERROR",
    "ARN_ACCOUNT_NOT_ALLOWED": "ERROR", "INVALID_ARN_RESOURCE": "ERROR", "INVALID_ARN_SERVICE_CASE": "ERROR",
    "INVALID_PARTITION": "ERROR", "MISSING_PRINCIPAL": "ERROR", "UNSUPPORTED_PRINCIPAL": "ERROR",
    "SCP_SYNTAX_ERROR_PRINCIPAL": "ERROR", "INVALID_PRINCIPAL_KEY": "ERROR", "INVALID_PRINCIPAL_FORMAT": "ERROR",
    "UNSUPPORTED_WILDCARD_IN_PRINCIPAL": "ERROR", "UNSUPPORTED_ELEMENT_COMBINATION": "ERROR",
    "UNSUPPORTED_ACTION_IN_POLICY": "ERROR", "INVALID_CONDITION_OPERATOR": "ERROR",
    "NULL_WITH_IF_EXISTS": "ERROR", "INVALID_CONDITION_KEY_FORMAT": "ERROR", "INVALID_CONDITION_DATA_TYPE": "ERROR",
    "INVALID_GLOBAL_CONDITION_KEY": "ERROR", "INVALID_SERVICE_CONDITION_KEY": "ERROR",
    "MISSING_TAG_KEY_IN_CONDITION": "ERROR", "MISSING_QUALIFIER": "ERROR", "POLICY_SIZE_EXCEEDS_SCP_QUOTA": "ERROR",
    "MISSING_VERSION": "WARNING", "UNIQUE_SIDS_RECOMMENDED": "WARNING", "WILDCARD_WITHOUT_LIKE_OPERATOR": "WARNING",
    "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA": "WARNING", "TYPE_MISMATCH_NUMBER": "WARNING",
    "TYPE_MISMATCH_DATE": "WARNING", "TYPE_MISMATCH_BOOLEAN": "WARNING", "TYPE_MISMATCH_STRING": "WARNING",
    "TYPE_MISMATCH_IP_RANGE": "WARNING",
    **{f"CREATE_SLR_WITH_{case}": "WARNING" for case in (
        "STAR_IN_RESOURCE", "STAR_IN_ACTION_AND_RESOURCE", "STAR_IN_RESOURCE_AND_NOT_ACTION", "NOT_RESOURCE",
        "STAR_IN_ACTION_AND_NOT_RESOURCE", "NOT_ACTION_AND_NOT_RESOURCE")},
    **{f"PASS_ROLE_WITH_{case}": "SECURITY_WARNING" for case in (
        "STAR_IN_RESOURCE", "STAR_IN_ACTION_AND_RESOURCE", "STAR_IN_RESOURCE_AND_NOT_ACTION", "NOT_RESOURCE",
        "STAR_IN_ACTION_AND_NOT_RESOURCE", "NOT_ACTION_AND_NOT_RESOURCE")},
    "ALLOW_WITH_NOT_PRINCIPAL": "SECURITY_WARNING", "FORALLVALUES_WITH_SINGLE_VALUED_KEY": "SECURITY_WARNING",
    "WILDCARD_IN_SERVICE_NAME": "SUGGESTION", "EMPTY_SID_VALUE": "SUGGESTION", "EMPTY_ARRAY_ACTION": "SUGGESTION",
    "EMPTY_ARRAY_RESOURCE": "SUGGESTION", "EMPTY_ARRAY_PRINCIPAL": "SUGGESTION", "EMPTY_OBJECT_PRINCIPAL": "SUGGESTION",
    "EMPTY_OBJECT_CONDITION": "SUGGESTION", "EMPTY_ARRAY_CONDITION": "SUGGESTION",
    "EMPTY_ARRAY_CONDITION_FORALLVALUES": "SUGGESTION", "EMPTY_ARRAY_CONDITION_FORANYVALUE": "SUGGESTION",
    "EMPTY_ARRAY_CONDITION_IFEXISTS": "SUGGESTION", "NULL_WITH_QUALIFIER": "SUGGESTION",
    "REDUNDANT_ACTION": "SUGGESTION", "REDUNDANT_STATEMENT": "SUGGESTION",
    # This product's own checks (docs/aws-compatibility.md).
    "POLICY_NESTING_EXCEEDED": None, "POLICY_SIZE_EXCEEDED": None, "ALLOW_WITH_NOT_ACTION": None,
    "ALLOW_WITH_NOT_RESOURCE": None, "TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION": None,
    "WEB_IDENTITY_TRUST_MISSING_AUD": None, "WEB_IDENTITY_TRUST_WILDCARD_SUB": None,
    "UNSUPPORTED_CONDITION_KEY_FOR_ACTION": None,
}


@pytest.mark.parametrize(("code", "aws_type"), sorted(AWS_TYPES.items()))
def test_each_code_has_aws_type_and_link(code, aws_type):
    from idp.analyzer import issues

    if aws_type is None:
        assert code not in issues.AWS_CHECKS and code in issues.PRODUCT_CHECKS
        assert issues.learn_more_link(code) == issues.LEARN_MORE
    else:
        assert issues.AWS_CHECKS[code].value == aws_type
        section = {"ERROR": "error", "WARNING": "general-warning", "SECURITY_WARNING": "security-warning",
                   "SUGGESTION": "suggestion"}[aws_type]
        assert issues.learn_more_link(code).startswith(
            f"{issues.LEARN_MORE}#access-analyzer-reference-policy-checks-{section}-")


def test_every_code_the_analyzer_emits_is_pinned_and_tested():
    import re
    from pathlib import Path

    import idp.analyzer

    emitters = ("grammar.py", "validation.py", "checks_elements.py", "checks_security.py", "checks_redundancy.py")
    source = "".join((Path(idp.analyzer.__file__).parent / name).read_text() for name in emitters)
    literal = set(re.findall(r'"([A-Z]+(?:_[A-Z0-9]+)+)"', source)) - {
        "IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "NOT_ACTION",
        "CONDITION_FORALLVALUES", "CONDITION_FORANYVALUE", "CONDITION_IFEXISTS", "PASS_ROLE", "CREATE_SLR"}
    literal = {code for code in literal if not code.startswith("WITH_")}  # suffixes of PASS_ROLE_/CREATE_SLR_
    assert literal <= set(AWS_TYPES)
    tested = {code for case in CASES for _, code, _ in case[4]}
    untested = set(AWS_TYPES) - tested
    # Binary and ARN operators whose values the engine refuses: mapped by operator family, no row of their own.
    assert untested <= {"TYPE_MISMATCH_STRING", "INVALID_CONDITION_DATA_TYPE"}, untested


def test_spans_point_at_the_text_they_name():
    document = doc(allow(["iam:GetUser", "iam:PassRole"]), {"Effect": "Allow", "NotAction": "iam:*",
                                                              "Resource": "*"})
    by_code = {f.issue_code: f for f in validate_policy(document, IDENTITY)}
    pass_role, not_action = by_code["PASS_ROLE_WITH_STAR_IN_RESOURCE"], by_code["ALLOW_WITH_NOT_ACTION"]
    span = pass_role.locations[0]
    assert document[span.start.offset:span.end.offset] == '"*"'
    assert document.splitlines()[span.start.line - 1][span.start.column:].startswith('"*"')
    key = not_action.locations[0]
    assert document[key.start.offset:key.end.offset] == '"NotAction"'


def test_misspelled_actions_suggest_the_closest_real_one():
    details = {f.details for f in validate_policy(doc(allow(["sts:AssumeRol", "notes:GetNotes"])), IDENTITY)}
    assert details == {"The action sts:AssumeRol does not exist. Did you mean sts:AssumeRole?",
                       "The action notes:GetNotes does not exist. Did you mean notes:GetNote?"}


def test_extra_catalogue_files_teach_new_services(tmp_path):
    from idp.analyzer.catalog import load_catalog

    extra = tmp_path / "acme-billing.json"
    extra.write_text(json.dumps({"service": "acme-billing", "actions": {"GetInvoice": {"resourceTypes": []}},
                                 "resourceTypes": {}, "conditionKeys": {}}))
    document = doc(allow(["acme-billing:GetInvoice", "acme-billing:GetInvoices"]))
    unknown = validate_policy(document, IDENTITY)
    known = validate_policy(document, IDENTITY, catalog=load_catalog([extra]))
    assert [f.issue_code for f in unknown] == ["INVALID_SERVICE_IN_ACTION", "INVALID_SERVICE_IN_ACTION"]
    assert [(f.issue_code, f.details) for f in known] == [
        ("INVALID_ACTION", "The action acme-billing:GetInvoices does not exist. Did you mean acme-billing:GetInvoice?")]
