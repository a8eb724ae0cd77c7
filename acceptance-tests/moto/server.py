"""moto's server with two bugs of its EC2 emulation mended, so that the real hashicorp/aws provider can apply
every rule portmatrix produces and plan again without changes (test-only code).

    python server.py -H 127.0.0.1 -p PORT      (the arguments of moto_server)

1. AWS takes a rule for an IP protocol without ports (IP-in-IP "4", ESP "50", ...) without FromPort and ToPort
   and describes it with -1/-1. moto 5.2.5 answers such a rule with HTTP 500 (`int(None)`, test-harness.md, moto
   quirk 1), and the AWS provider retries a 500 for as long as the apply runs. Here a missing port of a protocol
   other than -1 is stored as AWS stores it: -1.
2. AWS's DescribeSecurityGroupRules returns the description of every rule. moto 5.2.5 returns it only for CIDR
   rules and drops it for rules that reference a group or a prefix list (quirk 3), so every such rule would
   show a description change in each plan. Here the description given with the group or prefix list is kept.
Everything else is moto's own behaviour.
"""

import sys

from moto.ec2.models import security_groups
from moto.server import main

_original_init = security_groups.SecurityGroupRule.__init__


def _init(
    self,
    ec2_backend,
    ip_protocol,
    group_id,
    from_port,
    to_port,
    ip_range=None,
    source_group=None,
    prefix_list_id=None,
    **kwargs,
):
    if ip_protocol and str(ip_protocol) != "-1" and from_port is None and to_port is None:
        from_port = to_port = -1
    _original_init(
        self,
        ec2_backend,
        ip_protocol,
        group_id,
        from_port,
        to_port,
        ip_range,
        source_group,
        prefix_list_id,
        **kwargs,
    )
    self._other_description = (source_group or {}).get("Description") or (prefix_list_id or {}).get(
        "Description"
    )


def _description(self):
    return self.ip_range.get("Description") or getattr(self, "_other_description", None)


security_groups.SecurityGroupRule.__init__ = _init
security_groups.SecurityGroupRule.description = property(_description)

if __name__ == "__main__":
    sys.exit(main())
