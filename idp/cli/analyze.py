"""`flask --app app idp analyze ...`: validate policies, review changes and check an account from the shell or CI.

Exit codes: 0 when the check passes (no finding at or above `--fail-on`),
1 when it fails, 2 for a usage error (click's own).
"""
from __future__ import annotations

import json

import click
from flask import current_app

from idp.analyzer import account_checks, checks, validation
from idp.analyzer import catalog as analyzer_catalog
from idp.analyzer.findings import SEVERITY, FindingType
from idp.cli import idp_cli, one_line_errors

POLICY_TYPES = click.Choice(validation.POLICY_TYPES)
CHECK_TYPES = click.Choice(checks.POLICY_TYPES)


@idp_cli.group("analyze")
def analyze() -> None:
    """Access analyzer: policy validation, change checks and account findings."""


def _catalog(extra: tuple[str, ...]):
    base = analyzer_catalog.for_app(current_app)
    if not extra:
        return base
    return analyzer_catalog.load_catalog([*current_app.config.get("ANALYZER_CATALOG_FILES", ()), *extra])


def _read(file: click.File) -> str:
    return file.read()


catalog_option = click.option("--catalog", "catalog_files", multiple=True, type=click.Path(exists=True),
                              help="An extra catalogue file of actions (repeatable).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")


@analyze.command("validate")
@click.argument("file", type=click.File("r"))
@click.option("--type", "policy_type", type=POLICY_TYPES, default="IDENTITY_POLICY", show_default=True)
@click.option("--resource-type", type=click.Choice(validation.RESOURCE_TYPES), default=None,
              help="With RESOURCE_POLICY: AWS::IAM::AssumeRolePolicyDocument for a role trust policy.")
@click.option("--fail-on", type=click.Choice([t.value for t in FindingType]), default="ERROR", show_default=True,
              help="Exit 1 when a finding is at least this severe.")
@json_option
@catalog_option
@one_line_errors
def validate_command(file, policy_type: str, resource_type: str | None, fail_on: str, as_json: bool,
                     catalog_files: tuple[str, ...]) -> None:
    """Validate a policy document (FILE, or - for standard input)."""
    text = _read(file)
    findings = validation.validate_policy(text, policy_type, resource_type, _catalog(catalog_files))
    if as_json:
        click.echo(json.dumps({"findings": [finding.as_json() for finding in findings]}, indent=2))
    else:
        for finding in findings:
            location = finding.locations[0]
            path = _path_text(location.path)
            click.echo(f"{finding.finding_type.value} {finding.issue_code} at line {location.start.line} "
                       f"column {location.start.column + 1}{f' ({path})' if path else ''}: {finding.details}")
        if not findings:
            click.echo("No findings.")
    threshold = SEVERITY[FindingType(fail_on)]
    if any(SEVERITY[finding.finding_type] <= threshold for finding in findings):
        raise SystemExit(1)


def _path_text(path) -> str:
    text = ""
    for step, value in path:
        text += f"[{value}]" if step == "index" else (f".{value}" if text else str(value))
    return text


def _finish(result: checks.CheckResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        click.echo(f"{result.result}: {result.message}")
        for reason in result.reasons:
            click.echo(f"  - {reason.description}")
    if not result.passed:
        raise SystemExit(1)


@analyze.command("check-no-new-access")
@click.argument("existing", type=click.File("r"))
@click.argument("new", type=click.File("r"))
@click.option("--type", "policy_type", type=CHECK_TYPES, default="IDENTITY_POLICY", show_default=True)
@json_option
@catalog_option
@one_line_errors
def check_no_new_access_command(existing, new, policy_type: str, as_json: bool,
                                catalog_files: tuple[str, ...]) -> None:
    """FAIL (exit 1) when NEW grants anything EXISTING does not."""
    _finish(checks.check_no_new_access(_read(existing), _read(new), policy_type, _catalog(catalog_files)), as_json)


@analyze.command("check-access-not-granted")
@click.argument("file", type=click.File("r"))
@click.option("--action", "actions", multiple=True, help="An action that must not be granted (repeatable).")
@click.option("--resource", "resources", multiple=True, help="A resource ARN that must not be reachable.")
@click.option("--type", "policy_type", type=CHECK_TYPES, default="IDENTITY_POLICY", show_default=True)
@json_option
@catalog_option
@one_line_errors
def check_access_not_granted_command(file, actions: tuple[str, ...], resources: tuple[str, ...], policy_type: str,
                                     as_json: bool, catalog_files: tuple[str, ...]) -> None:
    """FAIL (exit 1) when FILE grants any --action (on any --resource, when given)."""
    if not actions and not resources:
        raise click.UsageError("name at least one --action or --resource")
    result = checks.check_access_not_granted(_read(file), list(actions), list(resources), policy_type,
                                             _catalog(catalog_files))
    _finish(result, as_json)


@analyze.command("check-no-public-access")
@click.argument("file", type=click.File("r"))
@click.option("--resource-type", type=click.Choice(checks.PUBLIC_RESOURCE_TYPES), default="AWS::S3::Bucket",
              show_default=True, help="AWS::IAM::AssumeRolePolicyDocument for a role trust policy.")
@json_option
@catalog_option
@one_line_errors
def check_no_public_access_command(file, resource_type: str, as_json: bool, catalog_files: tuple[str, ...]) -> None:
    """FAIL (exit 1) when the resource policy FILE lets anyone in."""
    _finish(checks.check_no_public_access(_read(file), resource_type, _catalog(catalog_files)), as_json)



@analyze.command("graph")
@click.option("--principal", default=None, help="Show what this user or role ARN can reach (transitively).")
@click.option("--resource", default=None, help="Show who can reach this role or resource ARN.")
@click.option("--account", "account_id", default=None, help="The account (default: the default account).")
@click.option("--format", "output_format", type=click.Choice(["svg", "dot", "json"]), default="json",
              show_default=True)
@one_line_errors
def graph_command(principal: str | None, resource: str | None, account_id: str | None, output_format: str) -> None:
    """Who can reach what: assumable roles through chains, and the actions on a resource."""
    from idp.analyzer import graph as access_graph
    from idp.analyzer.render import to_dot, to_svg

    account_id = account_id or _default_account()
    is_role = resource is not None and ":role/" in resource
    graph = access_graph.build(account_id, resource if resource and not is_role else None)
    if principal is not None:
        graph = graph.reachable_from(principal)
    elif resource is not None:
        graph = graph.reaching(resource)
    if output_format == "json":
        click.echo(json.dumps(graph.as_json(), indent=2))
    else:
        click.echo(to_dot(graph) if output_format == "dot" else to_svg(graph), nl=False)


def _default_account() -> str:
    from idp.errors import NotFound
    from idp.iam import accounts

    try:
        return accounts.default_account_id()
    except NotFound:
        raise click.ClickException("no default account: run `flask --app app idp bootstrap` or pass --account")


SEVERITY_CHOICE = click.Choice(account_checks.SEVERITIES)


@analyze.command("account")
@click.option("--account", "account_id", default=None, help="The account (default: the default account).")
@click.option("--fail-on", type=SEVERITY_CHOICE, default="high", show_default=True,
              help="Exit 1 when a finding is at least this severe.")
@json_option
@one_line_errors
def account_command(account_id: str | None, fail_on: str, as_json: bool) -> None:
    """Least-privilege findings over an account (root user, credentials, unused roles, broad and trust policies)."""
    findings = account_checks.check_account(account_id or _default_account())
    if as_json:
        click.echo(json.dumps({"findings": [finding.as_json() for finding in findings]}, indent=2))
    else:
        for finding in findings:
            click.echo(f"{finding.severity.upper()} {finding.check} {finding.resource}: {finding.title}. "
                       f"{finding.detail} Fix: {finding.fix}")
        if not findings:
            click.echo("No findings.")
    threshold = account_checks.SEVERITIES.index(fail_on)
    if any(account_checks.SEVERITIES.index(finding.severity) <= threshold for finding in findings):
        raise SystemExit(1)
