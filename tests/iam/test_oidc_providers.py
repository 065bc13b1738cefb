"""IAM OpenID Connect providers through boto3: CRUD, client ids, thumbprints, tags, AWS's errors, authorization."""
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.iam.conftest import client_for

THUMB_A, THUMB_B = "a" * 40, "0123456789ABCDEF0123456789abcdef01234567"
URL = "https://server.example.com/realms/corp"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def provider_arns(iam) -> list[str]:
    return [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]


@pytest.fixture
def own_issuer_arn(live_server, root) -> str:
    """Bootstrap registers the IdP's own issuer (http://127.0.0.1:<port>) as a provider of the account."""
    return f"arn:aws:iam::{root.account_id}:oidc-provider/{live_server.url.split('://', 1)[1]}"


@pytest.fixture
def limited_client(live_server, iam, root):
    """A user whose only permissions are `actions` (a managed policy), as an IAM client."""

    def make(name: str, actions: list[str], resource: str = "*"):
        iam.create_user(UserName=name)
        statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
        document = {"Version": "2012-10-17", "Statement": [statement]}
        policy = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=json.dumps(document))["Policy"]
        iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])

    return make


def test_create_get_list_delete(iam, root, own_issuer_arn):
    created = iam.create_open_id_connect_provider(
        Url=URL, ClientIDList=["app-1", "app-2"], ThumbprintList=[THUMB_A], Tags=[{"Key": "team", "Value": "id"}],
    )
    arn = f"arn:aws:iam::{root.account_id}:oidc-provider/server.example.com/realms/corp"
    assert created["OpenIDConnectProviderArn"] == arn
    assert created["Tags"] == [{"Key": "team", "Value": "id"}]

    fetched = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    # AWS answers the URL without its scheme, as it stores it.
    assert fetched["Url"] == "server.example.com/realms/corp"
    assert fetched["ClientIDList"] == ["app-1", "app-2"] and fetched["ThumbprintList"] == [THUMB_A]
    assert fetched["Tags"] == [{"Key": "team", "Value": "id"}] and fetched["CreateDate"].tzinfo is not None

    assert provider_arns(iam) == sorted([own_issuer_arn, arn])

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    error, status = error_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == f"OpenIDConnect Provider not found for arn {arn}"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # idempotent, as at AWS
    assert provider_arns(iam) == [own_issuer_arn]


def test_own_issuer_is_registered_and_cannot_be_registered_twice(iam, live_server, own_issuer_arn):
    fetched = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=own_issuer_arn)
    assert fetched["Url"] == live_server.url.split("://", 1)[1]
    error, status = error_of(iam.create_open_id_connect_provider, Url=live_server.url)
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == f"Provider with url {live_server.url} already exists."


def test_duplicate_url_and_optional_thumbprints(iam):
    iam.create_open_id_connect_provider(Url=URL)  # ThumbprintList and ClientIDList are optional
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arns(iam)[-1])["ThumbprintList"] == []
    error, status = error_of(iam.create_open_id_connect_provider, Url=URL, ThumbprintList=[THUMB_A])
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == f"Provider with url {URL} already exists."


def test_loopback_http_is_accepted_for_local_providers(iam, root):
    arn = iam.create_open_id_connect_provider(Url="http://localhost:8080/realms/dev")["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{root.account_id}:oidc-provider/localhost:8080/realms/dev"


BAD_INPUT = [
    ({"Url": "http://server.example.com"}, "ValidationError", "Invalid Url"),
    ({"Url": "server.example.com"}, "ValidationError", "Invalid Url"),
    ({"Url": "https://server.example.com/?tenant=1"}, "ValidationError", "Invalid Url"),
    ({"Url": "https://"}, "ValidationError", "Invalid Url"),
    ({"Url": "https://" + "h" * 250}, "ValidationError", "Member must have length less than or equal to 255"),
    ({"Url": URL, "ThumbprintList": [THUMB_A] * 6}, "InvalidInput",
     "Thumbprint list must contain fewer than 5 entries."),
    ({"Url": URL, "ThumbprintList": ["g" * 40]}, "InvalidInput", f"Thumbprint {'g' * 40} is not a hex-encoded"),
    ({"Url": URL, "ClientIDList": [str(i) for i in range(101)]}, "LimitExceeded",
     "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"),
    ({"Url": URL, "ClientIDList": ["c" * 256]}, "ValidationError",
     "Member must have length less than or equal to 255"),
    ({"Url": URL, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}, "InvalidInput",
     "Duplicate tag keys"),
]


def test_bad_input_is_refused_and_creates_nothing(iam, own_issuer_arn):
    # One server for every case: each refusal must leave the account as it was.
    for kwargs, code, message in BAD_INPUT:
        error, status = error_of(iam.create_open_id_connect_provider, **kwargs)
        assert (error["Code"], message in error["Message"]) == (code, True), kwargs
        assert status == (409 if code == "LimitExceeded" else 400)
        assert provider_arns(iam) == [own_issuer_arn]


def test_short_thumbprints_are_refused_on_the_wire(live_server, root, iam, own_issuer_arn):
    # botocore checks the minimum length itself; the server must too, for clients that do not.
    raw = boto3.client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=root.access_key_id,
        aws_secret_access_key=root.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    error, status = error_of(raw.create_open_id_connect_provider, Url=URL, ThumbprintList=["a" * 39])
    assert (error["Code"], status) == ("ValidationError", 400)
    assert error["Message"] == (
        f"1 validation error detected: Value '{'a' * 39}' at 'thumbprintList.1.member' failed to satisfy "
        "constraint: Member must have length greater than or equal to 40"
    )
    assert provider_arns(iam) == [own_issuer_arn]


def test_client_ids_and_thumbprints(iam):
    arn = iam.create_open_id_connect_provider(Url=URL, ClientIDList=["a", "a", "b"])["OpenIDConnectProviderArn"]

    def current():
        return iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    assert current()["ClientIDList"] == ["a", "b"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")  # idempotent
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="zz")  # idempotent
    assert current()["ClientIDList"] == ["b", "c"]

    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_A])
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_B])
    assert current()["ThumbprintList"] == [THUMB_B]  # replaced, not merged
    error, _ = error_of(iam.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn,
                        ThumbprintList=[THUMB_A] * 6)
    assert error["Code"] == "InvalidInput"
    assert current()["ThumbprintList"] == [THUMB_B]

    for i in range(98):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=f"app{i}")
    error, status = error_of(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                             ClientID="one-too-many")
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert len(current()["ClientIDList"]) == 100


def test_tags(iam):
    arn = iam.create_open_id_connect_provider(Url=URL, Tags=[{"Key": "a", "Value": "1"}])["OpenIDConnectProviderArn"]
    new_tags = [{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=new_tags)
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}]
    page = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=1)
    assert page["IsTruncated"] is True and len(page["Tags"]) == 1
    rest = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "b", "Value": "3"}] and rest["IsTruncated"] is False
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["a", "missing"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "b", "Value": "3"}]
    error, _ = error_of(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error["Code"] == "LimitExceeded"
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "b", "Value": "3"}]


def test_missing_and_malformed_arns(iam, root):
    missing = f"arn:aws:iam::{root.account_id}:oidc-provider/nowhere.example.com"
    for call, extra in [
        (iam.add_client_id_to_open_id_connect_provider, {"ClientID": "x"}),
        (iam.remove_client_id_from_open_id_connect_provider, {"ClientID": "x"}),
        (iam.update_open_id_connect_provider_thumbprint, {"ThumbprintList": [THUMB_A]}),
        (iam.tag_open_id_connect_provider, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (iam.untag_open_id_connect_provider, {"TagKeys": ["k"]}),
        (iam.list_open_id_connect_provider_tags, {}),
    ]:
        error, status = error_of(call, OpenIDConnectProviderArn=missing, **extra)
        assert (error["Code"], status, error["Message"]) == (
            "NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {missing}")
    bad = f"arn:aws:iam::{root.account_id}:user/not-a-provider"
    error, status = error_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=bad)
    assert (error["Code"], status, error["Message"]) == ("InvalidInput", 400, f"ARN {bad} is not valid.")


def test_a_user_allowed_only_to_list_cannot_create(limited_client, iam, root, own_issuer_arn):
    reader = limited_client("reader", ["iam:ListOpenIDConnectProviders"])
    assert [p["Arn"] for p in reader.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [own_issuer_arn]
    error, status = error_of(reader.create_open_id_connect_provider, Url=URL)
    assert (error["Code"], status) == ("AccessDenied", 403)
    arn = f"arn:aws:iam::{root.account_id}:oidc-provider/server.example.com/realms/corp"
    assert error["Message"] == (
        f"User: arn:aws:iam::{root.account_id}:user/reader is not authorized to perform: "
        f"iam:CreateOpenIDConnectProvider on resource: {arn} "
        "because no identity-based policy allows the iam:CreateOpenIDConnectProvider action"
    )
    error, _ = error_of(reader.get_open_id_connect_provider, OpenIDConnectProviderArn=own_issuer_arn)
    assert error["Code"] == "AccessDenied"
    assert provider_arns(iam) == [own_issuer_arn]


def test_resource_level_permission_on_one_provider(limited_client, iam):
    arn = iam.create_open_id_connect_provider(Url=URL)["OpenIDConnectProviderArn"]
    other = iam.create_open_id_connect_provider(Url="https://other.example.com")["OpenIDConnectProviderArn"]
    admin = limited_client("audiences", ["iam:AddClientIDToOpenIDConnectProvider"], resource=arn)
    admin.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web")
    error, _ = error_of(admin.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=other, ClientID="web")
    assert error["Code"] == "AccessDenied" and f"on resource: {other} " in error["Message"]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["web"]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=other)["ClientIDList"] == []
