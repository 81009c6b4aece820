#!/usr/bin/env python3
"""sarif_validate.py - validate a SARIF log against a JSON schema.

Usage: python3 tests/sarif_validate.py SCHEMA FILE

Validates the SARIF log FILE against SCHEMA (normally
testdata/lint/sarif-schema-2.1.0.json) with the jsonschema module (Debian
package python3-jsonschema). The validator class is chosen from the
schema's "$schema" keyword (draft 2020-12 for SARIF 2.1.0); "format" is an
annotation only, as that draft specifies by default.

The official schema file is kept byte-identical to upstream, known defects
included, so the schema itself is not checked against its meta-schema:
  - definitions.region.properties holds an "anyOf" array that was meant to
    sit next to "properties" (oasis-tcs/sarif-spec#578), so the intended
    "startLine, charOffset or byteOffset required" rule is not enforced;
  - the run/toolComponent "language" pattern "^(?i)..." puts a global flag
    after "^", which Python 3.11's re rejects (oasis-tcs/sarif-spec#562);
    such flags are moved to the front of the pattern, which keeps its meaning.

Exit status: 0 and "valid" on stdout when FILE conforms; 1 with every error
(one line each, "JSONPATH: message") when it does not, or when FILE is not
JSON; 2 on usage errors or an unusable SCHEMA; 77 (the automake "skip"
status, honoured by tests/lint.sh) when the jsonschema module is missing.
"""
import json
import re
import sys


def pattern_search(pattern, string):
    """re.search, tolerating global inline flags not at the start ("^(?i)x")."""
    try:
        return re.search(pattern, string)
    except re.error:
        m = re.match(r"(\^?)\(\?([aiLmsux]+)\)(.*)\Z", pattern, re.S)
        if not m:
            raise
        return re.search("(?%s)%s%s" % (m.group(2), m.group(1), m.group(3)), string)


def json_path(error):
    """The JSON path ("$.runs[0].tool") of the instance a ValidationError is about."""
    path = getattr(error, "json_path", None)
    if path is not None:
        return path
    out = "$"  # jsonschema < 4.0 has no json_path
    for part in error.absolute_path:
        out += "[%d]" % part if isinstance(part, int) else ".%s" % part
    return out


def load(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("%s: cannot read %s: %s" % (path, what, e))
        return None


def main(argv):
    if len(argv) != 3:
        print("usage: %s SCHEMA FILE" % argv[0], file=sys.stderr)
        return 2
    try:
        import jsonschema
        from jsonschema.validators import validator_for
    except ImportError:
        print("python module jsonschema missing (apt-get install python3-jsonschema)")
        return 77
    schema = load(argv[1], "schema")
    if schema is None:
        return 2
    if not isinstance(schema, dict):
        print("%s: invalid schema: not a JSON object" % argv[1])
        return 2

    def pattern(validator, patrn, instance, _schema):
        if validator.is_type(instance, "string") and not pattern_search(patrn, instance):
            yield jsonschema.ValidationError("%r does not match %r" % (instance, patrn))

    cls = jsonschema.validators.extend(validator_for(schema), {"pattern": pattern})
    log = load(argv[2], "SARIF log")
    if log is None:
        return 1
    try:
        errors = sorted(cls(schema).iter_errors(log),
                        key=lambda e: (json_path(e), repr(list(e.schema_path))))
    except Exception as e:  # a schema defect hit by this log (e.g. a bad regex)
        print("%s: cannot validate with %s: %s: %s" % (argv[2], argv[1], type(e).__name__, e))
        return 2
    if not errors:
        print("valid")
        return 0
    for e in errors:
        print("%s: %s" % (json_path(e), e.message))
        # anyOf/oneOf failures: show why each alternative failed
        for sub in sorted(e.context or (), key=lambda s: (json_path(s), repr(list(s.schema_path)))):
            print("    %s: %s" % (json_path(sub), sub.message))
    print("%s: %d error(s)" % (argv[2], len(errors)))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
