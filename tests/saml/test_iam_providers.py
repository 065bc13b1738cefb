"""IAM SAML providers through boto3: CRUD, tags, ValidUntil, AWS's errors."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_list_update_tag_delete(iam, root, saml_idp, other_idp):
    document = saml_idp.metadata(valid_until="2030-01-01T00:00:00Z")
    created = iam.create_saml_provider(SAMLMetadataDocument=document, Name="corp-idp",
                                       Tags=[{"Key": "team", "Value": "id"}])
    arn = f"arn:aws:iam::{root.account_id}:saml-provider/corp-idp"
    assert created["SAMLProviderArn"] == arn and created["Tags"] == [{"Key": "team", "Value": "id"}]

    fetched = iam.get_saml_provider(SAMLProviderArn=arn)
    assert fetched["SAMLMetadataDocument"] == document
    assert fetched["ValidUntil"].year == 2030 and fetched["CreateDate"].tzinfo is not None
    assert fetched["Tags"] == [{"Key": "team", "Value": "id"}]
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [entry["Arn"] for entry in listed] == [arn]

    rotated = other_idp.metadata()
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=rotated)["SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == rotated

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert iam.list_saml_providers()["SAMLProviderList"] == []
    assert error_of(iam.get_saml_provider, SAMLProviderArn=arn) == ("NoSuchEntity", 404)


def test_refusals_change_nothing(iam, root, saml_idp):
    document = saml_idp.metadata(padding=1200)  # botocore itself refuses a document under 1,000 characters
    iam.create_saml_provider(SAMLMetadataDocument=document, Name="corp")
    arn = f"arn:aws:iam::{root.account_id}:saml-provider/corp"
    assert error_of(iam.create_saml_provider, SAMLMetadataDocument=document, Name="corp") == (
        "EntityAlreadyExists", 409)
    assert error_of(iam.create_saml_provider, SAMLMetadataDocument="<x/>" + " " * 1000, Name="not-md") == (
        "InvalidInput", 400)
    no_idp = document.replace("IDPSSODescriptor", "SPSSODescriptor")
    assert error_of(iam.create_saml_provider, SAMLMetadataDocument=no_idp, Name="no-idp") == ("InvalidInput", 400)
    no_cert = document.replace(saml_idp.certificate, "")
    assert error_of(iam.create_saml_provider, SAMLMetadataDocument=no_cert, Name="no-cert") == ("InvalidInput", 400)
    entity = '<!DOCTYPE m [<!ENTITY e "x">]>' + document
    assert error_of(iam.create_saml_provider, SAMLMetadataDocument=entity, Name="dtd") == ("InvalidInput", 400)
    assert error_of(iam.create_saml_provider, SAMLMetadataDocument=document, Name="bad name!") == (
        "InvalidInput", 400)
    assert error_of(iam.update_saml_provider, SAMLProviderArn=arn, SAMLMetadataDocument="<oops>" * 200) == (
        "InvalidInput", 400)
    missing = f"arn:aws:iam::{root.account_id}:saml-provider/missing"
    assert error_of(iam.delete_saml_provider, SAMLProviderArn=missing) == ("NoSuchEntity", 404)
    assert error_of(iam.get_saml_provider, SAMLProviderArn="arn:aws:iam::1:oidc-provider/x" + "y" * 10)[0] in (
        "InvalidInput", "ValidationError")
    assert [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]] == [arn]
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == document
