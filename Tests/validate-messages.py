"""Validates viewer messages (one JSON text per line on stdin) against openapi.yaml's ServerMessage.

Prints each message that does not match and exits 1 if any did. Needs jsonschema and PyYAML
(openapi-spec-validator brings both).
"""
import json
import pathlib
import sys

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

spec = yaml.safe_load((pathlib.Path(__file__).parent.parent / "openapi.yaml").read_text())
registry = Registry().with_resource("urn:streamhub", Resource.from_contents(spec, default_specification=DRAFT202012))
validator = jsonschema.Draft202012Validator({"$ref": "urn:streamhub#/components/schemas/ServerMessage"}, registry=registry)
failed = 0
checked = 0
for line in sys.stdin:
    if not line.strip():
        continue
    checked += 1
    message = json.loads(line)
    errors = list(validator.iter_errors(message))
    if errors:
        failed += 1
        print(f"{line.strip()}\n  {'; '.join(error.message for error in errors)}")
print(f"{checked} messages checked, {failed} do not match")
sys.exit(1 if failed or not checked else 0)
