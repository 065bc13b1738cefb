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
     [("ERROR", "DUPLICATE_KEY", [])]),
    ("policy-size", IDENTITY, None, doc(*[allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/u{i:04}")
                                          for i in range(120)]), [("ERROR", "POLICY_SIZE_EXCEEDED", [])]),
    ("policy-nesting", IDENTITY, None, doc(allow(Condition={"StringEquals": {"aws:username": [[[["a"]]]]}})),
     [("ERROR", "POLICY_NESTING_EXCEEDED", [])]),
    ("invalid-action", IDENTITY, None, doc(allow(["iam:GetUsr"])),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}, {"index": 0}])]),
    ("wildcard-action-matching-nothing", IDENTITY, None, doc(allow("iam:Fly*")),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}])]),
    ("invalid-action-format", IDENTITY, None, doc(allow("iam:Get User")),
     [("ERROR", "INVALID_ACTION", S0 + [{"value": "Action"}])]),
    ("invalid-service", IDENTITY, None, doc(allow("iamm:GetUser")),
     [("ERROR", "INVALID_SERVICE", S0 + [{"value": "Action"}])]),
    ("wildcard-in-service", IDENTITY, None, doc(allow("i*:GetUser")),
     [("ERROR", "WILDCARD_IN_SERVICE_NAME", S0 + [{"value": "Action"}])]),
    ("invalid-arn-resource", IDENTITY, None, doc(allow(resource=f"arn:aws:iam::{ACCOUNT}:usr/alice")),
     [("ERROR", "INVALID_ARN_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("invalid-arn-account", IDENTITY, None, doc(allow(resource="arn:aws:iam::12345:user/alice")),
     [("ERROR", "INVALID_ARN_ACCOUNT", S0 + [{"value": "Resource"}])]),
    ("invalid-arn-region", IDENTITY, None, doc(allow(resource=f"arn:aws:iam:us-east-1:{ACCOUNT}:user/alice")),
     [("ERROR", "INVALID_ARN_REGION", S0 + [{"value": "Resource"}])]),
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
     [("ERROR", "INVALID_CONDITION_KEY_FORMAT", S0 + [{"value": "Condition"}, {"value": "StringEquals"}])]),
    ("invalid-condition-data-type", IDENTITY, None,
     doc(allow(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "soon"}})),
     [("ERROR", "INVALID_CONDITION_DATA_TYPE",
       S0 + [{"value": "Condition"}, {"value": "NumericLessThan"}, {"value": "aws:MultiFactorAuthAge"}])]),
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
    ("unsupported-element", IDENTITY, None, doc(allow(Principal="*")),
     [("ERROR", "UNSUPPORTED_ELEMENT", S0 + [{"value": "Principal"}])]),
    ("trust-with-resource", RESOURCE, TRUST, doc(trust({"AWS": ACCOUNT}, Resource="*")),
     [("ERROR", "UNSUPPORTED_ELEMENT", S0)]),
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
     [("ERROR", "DUPLICATE_SID", S1 + [{"value": "Sid"}])]),
    ("every-broken-statement-is-reported", IDENTITY, None,
     doc({"Effect": "Allow", "Resource": "*"}, {"Effect": "Allow", "Action": "iam:GetUser"}),
     [("ERROR", "MISSING_ACTION", S0), ("ERROR", "MISSING_RESOURCE", S1)]),
    # --- SECURITY_WARNING --------------------------------------------------------------------------
    ("pass-role-star", IDENTITY, None, doc(allow(["iam:PassRole"])),
     [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("pass-role-through-service-wildcard", IDENTITY, None, doc(allow("iam:*")),
     [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", S0 + [{"value": "Resource"}])]),
    ("pass-role-through-wildcard-action", IDENTITY, None, doc(allow("iam:Pass*", ["*"])),
     [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", S0 + [{"value": "Resource"}, {"index": 0}])]),
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
    ("missing-version", IDENTITY, None, doc(allow(), version=None), [("WARNING", "MISSING_VERSION", [])]),
    ("forallvalues-single-valued", IDENTITY, None,
     doc(allow(Condition={"ForAllValues:StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/a"}})),
     [("WARNING", "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
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


def test_every_issue_code_the_analyzer_emits_has_a_row():
    import re
    from pathlib import Path

    import idp.analyzer

    emitters = ("grammar.py", "validation.py", "checks_elements.py", "checks_security.py", "checks_redundancy.py")
    source = "".join((Path(idp.analyzer.__file__).parent / name).read_text() for name in emitters)
    emitted = set(re.findall(r'"([A-Z]+(?:_[A-Z]+)+)"', source)) - {"IDENTITY_POLICY", "RESOURCE_POLICY",
                                                                     "SERVICE_CONTROL_POLICY",
                                                                     "RESOURCE_CONTROL_POLICY", "SECURITY_WARNING"}
    emitted |= {"ALLOW_WITH_NOT_ACTION", "ALLOW_WITH_NOT_RESOURCE", "ALLOW_WITH_NOT_PRINCIPAL"}
    tested = {code for case in CASES for _, code, _ in case[4]}
    assert emitted - tested == set()


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
    assert [f.issue_code for f in unknown] == ["INVALID_SERVICE", "INVALID_SERVICE"]
    assert [(f.issue_code, f.details) for f in known] == [
        ("INVALID_ACTION", "The action acme-billing:GetInvoices does not exist. Did you mean acme-billing:GetInvoice?")]
