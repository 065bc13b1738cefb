"""The access graph as Graphviz dot and as a self-contained SVG picture (no Graphviz needed)."""
from __future__ import annotations

import re

from markupsafe import escape as markup_escape

from idp.analyzer.graph import AccessGraph, Edge

COLORS = {"user": "#dbeafe", "role": "#dcfce7", "account": "#fef9c3", "federated": "#f3e8ff",
          "public": "#fee2e2", "resource": "#e5e7eb"}
BOX_WIDTH, BOX_HEIGHT, COLUMN, ROW, MARGIN = 220, 44, 300, 70, 30
# Characters XML 1.0 (2.2 Char) cannot hold at all, escaped or not: most C0 controls, surrogates, U+FFFE/FFFF.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def edge_label(edge: Edge) -> str:
    """A short label: the action, or how many actions."""
    label = edge.actions[0] if len(edge.actions) == 1 else f"{len(edge.actions)} actions"
    return f"{label} (if {', '.join(sorted(edge.condition))})" if edge.condition else label


def to_dot(graph: AccessGraph) -> str:
    """A Graphviz `digraph`."""
    lines = ["digraph access {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="sans-serif"];']
    for node in sorted(graph.nodes.values(), key=lambda n: n.id):
        lines.append(f'  "{_dot(node.id)}" [label="{_dot(node.label)}", fillcolor="{COLORS[node.kind]}"];')
    for edge in sorted(graph.edges, key=lambda e: (e.source, e.target)):
        lines.append(f'  "{_dot(edge.source)}" -> "{_dot(edge.target)}" [label="{_dot(edge_label(edge))}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def layers(graph: AccessGraph) -> dict[str, int]:
    """Column of each node: how many edges from a node nobody reaches (cycles broken at the first visit)."""
    incoming = {edge.target for edge in graph.edges if edge.source != edge.target}
    depth = {node: 0 for node in graph.nodes if node not in incoming}
    if not depth and graph.nodes:
        depth[min(graph.nodes)] = 0
    frontier = list(depth)
    while frontier:
        following = []
        for current in frontier:
            for edge in graph.edges:
                if edge.source == current and edge.target not in depth:
                    depth[edge.target] = depth[current] + 1
                    following.append(edge.target)
        frontier = following
    for node in graph.nodes:
        depth.setdefault(node, 0)
    return depth


def to_svg(graph: AccessGraph, title: str = "Who can reach what") -> str:
    """An SVG picture: columns from outsiders and users on the left to what they reach on the right."""
    depth = layers(graph)
    columns: dict[int, list[str]] = {}
    for node_id in sorted(graph.nodes, key=lambda n: (graph.nodes[n].kind, graph.nodes[n].label)):
        columns.setdefault(depth[node_id], []).append(node_id)
    place = {node_id: (MARGIN + column * COLUMN, MARGIN + 30 + row * ROW)
             for column, members in columns.items() for row, node_id in enumerate(members)}
    width = MARGIN * 2 + (max(columns, default=0) + 1) * COLUMN
    height = MARGIN * 2 + 30 + max((len(m) for m in columns.values()), default=1) * ROW
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="graph-title">',
             f'<title id="graph-title">{_escaped(title)}</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#374151"/></marker></defs>',
             f'<text x="{MARGIN}" y="{MARGIN}" font-family="sans-serif" font-size="16" font-weight="bold">'
             f'{_escaped(title)}</text>']
    for edge in graph.edges:
        (x1, y1), (x2, y2) = place[edge.source], place[edge.target]
        start, end = (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2), (x2, y2 + BOX_HEIGHT / 2)
        parts.append(f'<g class="edge" data-from="{_escaped(edge.source)}" data-to="{_escaped(edge.target)}">'
                     f'<line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" stroke="#374151" '
                     f'stroke-width="1.5" marker-end="url(#arrow)"/>'
                     f'<text x="{(start[0] + end[0]) / 2}" y="{(start[1] + end[1]) / 2 - 4}" font-family="sans-serif" '
                     f'font-size="11" text-anchor="middle">{_escaped(edge_label(edge))}</text></g>')
    for node_id, (x, y) in place.items():
        node = graph.nodes[node_id]
        parts.append(f'<g class="node" data-id="{_escaped(node.id)}" data-kind="{node.kind}">'
                     f'<title>{_escaped(node.id)}</title>'
                     f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="8" '
                     f'fill="{COLORS[node.kind]}" stroke="#6b7280"/>'
                     f'<text x="{x + BOX_WIDTH / 2}" y="{y + BOX_HEIGHT / 2 + 5}" font-family="sans-serif" '
                     f'font-size="13" text-anchor="middle">{_escaped(_short(node.label))}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _escaped(text: str) -> str:
    """`text` safe in SVG element content and in a double- or single-quoted attribute alike: `&<>"'` escaped,
    characters XML cannot carry replaced (a principal ARN or trust-policy string is chosen by whoever wrote it)."""
    return str(markup_escape(NOT_XML.sub("\ufffd", text)))


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
