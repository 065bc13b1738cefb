"""GenerateCredentialReport and GetCredentialReport, authorized on `*` as at AWS."""
from __future__ import annotations

import base64

from idp.aws.api import Call, query_action
from idp.iam import credential_report


@query_action("iam", "GenerateCredentialReport", mutates=False)
def generate_credential_report(call: Call) -> dict:
    call.authorize("*")
    started = credential_report.generate(call.account_id)
    return {"State": started.state, "Description": started.description}


@query_action("iam", "GetCredentialReport")
def get_credential_report(call: Call) -> dict:
    call.authorize("*")
    report = credential_report.latest(call.account_id)
    # A blob member: base64 on the wire, decoded by the SDKs.
    return {"Content": base64.b64encode(report.content.encode()).decode(), "ReportFormat": "text/csv",
            "GeneratedTime": report.generated_at}
