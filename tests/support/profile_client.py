"""boto3 IAM clients that know this product's profile extension (GetUserProfile, UpdateUserProfile).

The operations come from `docs/iam-profiles.botocore.json`, merged into botocore's own IAM model and put on a
botocore loader search path: boto3 then signs, serializes and parses them like any IAM action.
"""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.session
from botocore.loaders import Loader

from tests.support.aws_clients import NO_RETRIES

FRAGMENT = Path(__file__).resolve().parents[2] / "docs" / "iam-profiles.botocore.json"


def write_extended_model(directory: Path) -> Path:
    """Write `iam/<version>/service-2.json` (AWS's model plus the extension) under `directory`; return it."""
    model = Loader().load_service_model("iam", "service-2")
    extension = json.loads(FRAGMENT.read_text(encoding="utf-8"))
    model["operations"].update(extension["operations"])
    model["shapes"].update(extension["shapes"])
    target = directory / "iam" / model["metadata"]["apiVersion"] / "service-2.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(model), encoding="utf-8")
    return directory


def profile_client(models: Path, live_server, key_id: str, secret: str):
    """A boto3 IAM client with the extension's operations (`get_user_profile`, `update_user_profile`)."""
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(models))
    return boto3.Session(botocore_session=session).client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=NO_RETRIES)
