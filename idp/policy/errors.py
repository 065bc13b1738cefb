"""Typed errors of the policy language; the app's error hierarchy wraps them."""

from __future__ import annotations


class MalformedPolicyDocument(Exception):
    """A policy document that IAM would refuse, with the reason and where."""

    def __init__(self, problem: str, path: str = "") -> None:
        self.problem = problem
        self.path = path
        # AWS reports only the problem; the JSON path is ours, to point a
        # policy author at the offending element.
        self.message = f"{path}: {problem}" if path else problem
        super().__init__(self.message)
