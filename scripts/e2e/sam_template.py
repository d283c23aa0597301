"""Writes the template `sam local` runs in `make e2e`: template.yaml as it
is, except for what `sam build` would change and what only a local run
needs. Run with the SAM CLI's Python (.venv/infra), which parses the
CloudFormation short forms (!Ref, !Sub...).

    python sam_template.py TEMPLATE OUT_DIR

- each function's CodeUri is its folder under OUT_DIR, where e2e.sh puts its
  `bootstrap` (what `sam build` does, without building again);
- AWS_ENDPOINT_URL is declared for every function: `sam local` passes only
  the variables a template declares, and the functions must reach the local
  DynamoDB-API and Secrets Manager server; --env-vars gives its value.
"""

import sys
from pathlib import Path

from samcli.yamlhelper import yaml_dump, yaml_parse

FUNCTIONS = {"UsersFunction": "users", "PropertiesFunction": "properties", "MediaFunction": "media",
             "RoomsFunction": "rooms", "AuthorizerFunction": "authorizer", "WebhooksFunction": "webhooks",
             "NotificationsFunction": "notifications"}


def main():
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    template = yaml_parse(source.read_text())
    functions = {name for name, resource in template["Resources"].items()
                 if resource["Type"] == "AWS::Serverless::Function"}
    if functions != set(FUNCTIONS):
        sys.exit(f"template functions {sorted(functions)} != {sorted(FUNCTIONS)}: update {__file__}")
    for name in functions:
        resource = template["Resources"][name]
        resource["Properties"]["CodeUri"] = name
        resource.get("Metadata", {}).pop("BuildMethod", None)
    # `sam local start-api` parses the authorizer's function only from a
    # literal Lambda ARN: with !GetAtt (or !Sub) it warns "Unable to parse
    # the Lambda ARN for Authorizer" and serves every route without it
    # (aws/aws-sam-cli#7483). The ARN it would resolve, written out:
    for api in (r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"):
        for authorizer in api["Properties"]["Auth"]["Authorizers"].values():
            if authorizer["FunctionArn"] != {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}:
                sys.exit(f"unexpected authorizer FunctionArn {authorizer['FunctionArn']}: update {__file__}")
            authorizer["FunctionArn"] = "arn:aws:lambda:us-east-1:123456789012:function:AuthorizerFunction"
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    variables["AWS_ENDPOINT_URL"] = ""
    (out / "template.yaml").write_text(yaml_dump(template))


if __name__ == "__main__":
    main()
