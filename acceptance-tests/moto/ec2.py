"""EC2 calls the audit tests make against the moto server, with boto3 (test-only code).

    python ec2.py ENDPOINT COMMAND < request.json > response.json

Commands (request and response are JSON objects):
  create-vpc     {}                                       -> {"vpc_id"}   for Terraform configurations to use
  create-groups  {"tiers": [...]}                         -> {"vpc_id", "groups": {tier: group_id}}
                 A VPC and one security group per tier, each without AWS's default allow-all egress rule, as
                 Terraform's aws_security_group leaves them.
  apply          {"groups", "ingress", "egress"}          -> {"rule_ids": {"ingress"|"egress": {key: rule_id}}}
                 The `ingress` and `egress` maps of portmatrix_aws_security_group_rules, one authorize call per
                 rule, as aws_vpc_security_group_ingress_rule / _egress_rule would apply them.
  authorize      {"group_id", "egress", "permission"}      -> {"rule_id"}    one raw IpPermission
  revoke         {"group_id", "egress", "rule_id"}         -> {}
  rules          {"group_id"}                              -> {"rules": [...]} (for failure messages)

Credentials are the dummy ones moto accepts. Errors print to stderr and exit 1.
"""

import json
import sys

import boto3


def client(endpoint):
    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_vpc(ec2, request):
    return {"vpc_id": ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]}


def create_groups(ec2, request):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    groups = {}
    for tier in request["tiers"]:
        group_id = ec2.create_security_group(
            GroupName=f"portmatrix-{tier}", Description=f"tier {tier}", VpcId=vpc_id
        )["GroupId"]
        rules = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group_id]}]
        )["SecurityGroupRules"]
        default_egress = [r["SecurityGroupRuleId"] for r in rules if r["IsEgress"]]
        if default_egress:
            ec2.revoke_security_group_egress(GroupId=group_id, SecurityGroupRuleIds=default_egress)
        groups[tier] = group_id
    return {"vpc_id": vpc_id, "groups": groups}


def permission(rule, groups, peer_tier_field):
    """One entry of the rules data source as an IpPermission."""
    perm = {"IpProtocol": rule["ip_protocol"]}
    if rule["from_port"] is not None:
        perm["FromPort"] = int(rule["from_port"])
        perm["ToPort"] = int(rule["to_port"])
    elif rule["ip_protocol"] != "-1":
        # moto answers HTTP 500 to a protocol other than -1 without ports (test-harness.md, moto quirk 1); AWS
        # ignores ports for such protocols, so -1 changes nothing there.
        perm["FromPort"] = -1
        perm["ToPort"] = -1
    description = rule["description"]
    if rule[peer_tier_field] is not None:
        perm["UserIdGroupPairs"] = [
            {"GroupId": groups[rule[peer_tier_field]], "Description": description}
        ]
    elif rule["cidr_ipv4"] is not None:
        perm["IpRanges"] = [{"CidrIp": rule["cidr_ipv4"], "Description": description}]
    elif rule["cidr_ipv6"] is not None:
        perm["Ipv6Ranges"] = [{"CidrIpv6": rule["cidr_ipv6"], "Description": description}]
    else:
        perm["PrefixListIds"] = [
            {"PrefixListId": rule["prefix_list_id"], "Description": description}
        ]
    return perm


def authorize_one(ec2, group_id, egress, perm):
    call = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    created = call(GroupId=group_id, IpPermissions=[perm])["SecurityGroupRules"]
    if len(created) != 1:
        raise SystemExit(f"expected one rule from {perm}, got {created}")
    return created[0]["SecurityGroupRuleId"]


def apply(ec2, request):
    groups = request["groups"]
    rule_ids = {"ingress": {}, "egress": {}}
    for direction, peer_tier_field in (("ingress", "source_tier"), ("egress", "destination_tier")):
        for key, rule in sorted(request[direction].items()):
            perm = permission(rule, groups, peer_tier_field)
            rule_ids[direction][key] = authorize_one(
                ec2, groups[rule["tier"]], direction == "egress", perm
            )
    return {"rule_ids": rule_ids}


def authorize(ec2, request):
    return {
        "rule_id": authorize_one(
            ec2, request["group_id"], request["egress"], request["permission"]
        )
    }


def revoke(ec2, request):
    # By rule ID: moto revokes group-pair rules by permission only with the same description (quirk 4).
    call = ec2.revoke_security_group_egress if request["egress"] else ec2.revoke_security_group_ingress
    call(GroupId=request["group_id"], SecurityGroupRuleIds=[request["rule_id"]])
    return {}


def rules(ec2, request):
    found = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [request["group_id"]]}]
    )["SecurityGroupRules"]
    return {"rules": found}


COMMANDS = {
    "create-vpc": create_vpc,
    "create-groups": create_groups,
    "apply": apply,
    "authorize": authorize,
    "revoke": revoke,
    "rules": rules,
}


def main():
    endpoint, command = sys.argv[1], sys.argv[2]
    request = json.load(sys.stdin)
    response = COMMANDS[command](client(endpoint), request)
    json.dump(response, sys.stdout, default=str)


if __name__ == "__main__":
    main()
