"""Review (issue 13 class 10): IPv6 forms that carry an IPv4 address the rule does not read.

idp.fetch reads the IPv4 address inside IPv4-mapped, 6to4, Teredo, IPv4-compatible and the well-known
NAT64 prefix (64:ff9b::/96), but not inside the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215; IANA:
not globally reachable, and the prefix an operator's own translator uses to reach its IPv4 networks)
or the IPv4-translated form ::ffff:0:a.b.c.d (RFC 2765 SIIT). This Python (3.11.7) calls both global,
so a name whose AAAA record is 64:ff9b:1::a9fe:a9fe passes the check where a translator sends it to the
metadata service.
"""
from __future__ import annotations

import ipaddress

import pytest

from idp import fetch


@pytest.mark.parametrize("address", ["64:ff9b:1::a9fe:a9fe", "64:ff9b:1::7f00:1", "64:ff9b:1:a9fe:a9:fe00::",
                                     "::ffff:0:a9fe:a9fe", "::ffff:0:7f00:1"])
def test_ipv6_forms_that_carry_a_non_global_ipv4_address_are_refused(address):
    assert not fetch.address_allowed(ipaddress.ip_address(address), ())
