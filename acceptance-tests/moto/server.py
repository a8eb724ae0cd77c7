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
3. AWS applies every change to a group's rules atomically. moto 5.2.5 revokes by rebuilding the group's rule list
   (read, filter, assign back) without a lock, and its server answers requests on many threads: two revokes that
   interleave lose one of them, so a rule Terraform destroyed (its parallel destroy sends up to ten at once)
   stays in the group and the next audit finds it as excess (a CI run of aws_apply failed so at stop 21; 60
   rules revoked by 20 threads, 30 rounds, left 2 rules behind on a busy machine). Here the calls that change a
   group's rules run one at a time.
Everything else is moto's own behaviour.
"""

import functools
import sys
import threading

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

_rule_changes = threading.Lock()


def _one_at_a_time(change):
    @functools.wraps(change)
    def serialized(*args, **kwargs):
        with _rule_changes:
            return change(*args, **kwargs)

    return serialized


for _name in (
    "authorize_security_group_ingress",
    "authorize_security_group_egress",
    "revoke_security_group_ingress",
    "revoke_security_group_egress",
    "modify_security_group_rules",
    "update_security_group_rule_descriptions_ingress",
    "update_security_group_rule_descriptions_egress",
):
    setattr(
        security_groups.SecurityGroupBackend,
        _name,
        _one_at_a_time(getattr(security_groups.SecurityGroupBackend, _name)),
    )

if __name__ == "__main__":
    sys.exit(main())
