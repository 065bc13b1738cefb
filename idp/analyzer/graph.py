"""Who can reach what: an access graph of an account, built with the policy engine's own decisions.

Nodes are the account's users and roles, the outsiders its trust policies
name (other accounts, federated providers, the public) and, when asked, one
resource. An edge `A -> role` means the engine lets A assume the role (trust
policy and A's identity policies, as `sts:AssumeRole*` is decided at STS),
possibly only under a condition the edge records; an edge `A -> resource`
lists the catalogued actions A's identity policies (and the resource's
registered policy) allow on it. Chains are followed transitively.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import select

from idp.analyzer import witnesses
from idp.analyzer.catalog import bundled
from idp.analyzer.external_access import external_access
from idp.authz.policy_store import role_identity, user_identity
from idp.authz.principals import user_principal
from idp.policy import (
    MalformedPolicyDocument,
    PolicyKind,
    PolicySet,
    PrincipalType,
    RequestContext,
    RequestPrincipal,
    evaluate,
    evaluate_trust,
    parse_policy,
)
from models import db
from models.finding import RegisteredResourcePolicy
from models.role import Role
from models.user import User


@dataclass(frozen=True)
class Node:
    """A principal or resource in the graph."""

    id: str  # an ARN, an account id, a provider ARN, or "*"
    kind: str  # user | role | account | federated | public | resource
    label: str


@dataclass(frozen=True)
class Edge:
    """`source` can reach `target`: assume it (action sts:AssumeRole*) or act on it (the actions)."""

    source: str
    target: str
    actions: tuple[str, ...]
    condition: dict[str, str] = field(default_factory=dict)


@dataclass
class AccessGraph:
    """Nodes and edges, with the subgraph queries the CLI and page use."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def reachable_from(self, start: str) -> AccessGraph:
        """Everything `start` reaches, following edges transitively."""
        return self._walk(start, forward=True)

    def reaching(self, target: str) -> AccessGraph:
        """Everyone who reaches `target`, transitively."""
        return self._walk(target, forward=False)

    def _walk(self, start: str, *, forward: bool) -> AccessGraph:
        seen, queue, kept = {start}, deque([start]), []
        while queue:
            current = queue.popleft()
            for edge in self.edges:
                near, far = (edge.source, edge.target) if forward else (edge.target, edge.source)
                if near == current:
                    kept.append(edge)
                    if far not in seen:
                        seen.add(far)
                        queue.append(far)
        return AccessGraph({n: self.nodes[n] for n in self.nodes if n in seen}, kept)

    def as_json(self) -> dict:
        """`{"nodes": [...], "edges": [...]}`, sorted."""
        return {"nodes": [{"id": n.id, "kind": n.kind, "label": n.label} for n in sorted(self.nodes.values(),
                                                                                         key=lambda n: n.id)],
                "edges": [{"from": e.source, "to": e.target, "actions": list(e.actions), "condition": e.condition}
                          for e in sorted(self.edges, key=lambda e: (e.source, e.target))]}


def _session_principal(role: Role) -> RequestPrincipal:
    return RequestPrincipal.of(f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{witnesses.WITNESS}",
                               role.account_id, PrincipalType.ASSUMED_ROLE, user_id=role.role_id, role_arn=role.arn)


def build(account_id: str, resource: str | None = None) -> AccessGraph:
    """The account's access graph (plus who can act on `resource`, when given)."""
    graph = AccessGraph()
    roles = list(db.session.scalars(select(Role).where(Role.account_id == account_id).order_by(Role.name)))
    users = list(db.session.scalars(select(User).where(User.account_id == account_id).order_by(User.name)))
    callers: list[tuple[str, RequestPrincipal, PolicySet | None]] = []
    for user in users:
        graph.nodes[user.arn] = Node(user.arn, "user", f"user/{user.name}")
        identity, boundary = user_identity(user)
        callers.append((user.arn, user_principal(user), PolicySet(identity=identity, boundary=boundary)))
    for role in roles:
        graph.nodes[role.arn] = Node(role.arn, "role", f"role/{role.name}")
        identity, boundary = role_identity(role)
        callers.append((role.arn, _session_principal(role), PolicySet(identity=identity, boundary=boundary)))
    for role in roles:
        try:
            trust = parse_policy(role.trust_policy, PolicyKind.TRUST, role.arn)
        except MalformedPolicyDocument:
            continue
        for source, principal, policies in callers:
            if source != role.arn:
                _assume_edge(graph, source, principal, policies, role, trust)
        for access in external_access(trust, role.arn, "AWS::IAM::Role", account_id):
            _outsider_edge(graph, access)
    if resource is not None:
        _resource_edges(graph, account_id, resource, callers)
    return graph


def _assume_edge(graph: AccessGraph, source: str, principal: RequestPrincipal, policies: PolicySet | None,
                 role: Role, trust) -> None:
    for statement in trust.statements:
        context = witnesses.satisfying_context(statement, free_only=True)
        request = RequestContext(principal, "sts:AssumeRole", role.arn, context, role.account_id)
        if evaluate_trust(request, trust, policies).allowed:
            condition = {k: str(v) for k, v in context.items()}
            graph.edges.append(Edge(source, role.arn, ("sts:AssumeRole",), condition))
            return


def _outsider_edge(graph: AccessGraph, access) -> None:
    kind, value = next(iter(access.principal.items()))
    node_kind = "public" if access.is_public else ("federated" if kind == "Federated" else "account")
    label = "everyone (*)" if access.is_public else (value.rsplit("/", 1)[-1] if kind == "Federated" else value)
    graph.nodes.setdefault(value, Node(value, node_kind, label))
    graph.edges.append(Edge(value, access.resource, access.actions, access.condition))


def _resource_edges(graph: AccessGraph, account_id: str, resource: str, callers) -> None:
    graph.nodes[resource] = Node(resource, "resource", resource.split(":", 5)[-1] or resource)
    service = resource.split(":")[2] if resource.count(":") >= 5 else ""
    actions = sorted(a.full_name for a in bundled().matching(f"{service}:*")) if service else []
    registered = db.session.scalar(select(RegisteredResourcePolicy).where(
        RegisteredResourcePolicy.account_id == account_id, RegisteredResourcePolicy.resource_arn == resource))
    resource_policies = [parse_policy(registered.document, PolicyKind.RESOURCE, resource)] if registered else []
    for source, principal, policies in callers:
        combined = policies.with_resource(resource_policies) if resource_policies else policies
        allowed = tuple(action for action in actions
                        if evaluate(RequestContext(principal, action, resource, {}, account_id), combined).allowed)
        if allowed:
            graph.edges.append(Edge(source, resource, allowed))
