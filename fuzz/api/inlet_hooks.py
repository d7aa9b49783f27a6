"""The schemathesis check and hook that scripts/api-fuzz loads (reliability.md B9).

The check, `protected_operations_refuse_the_request`: on an operation that
declares a security requirement, the answer must be the status named by
$INLET_API_FUZZ_EXPECT_STATUS: 401 when the request has no token, 403 when
its token is not accepted. Operations without one (the viewer's page and
assets, the OpenAPI document) are not checked.

The hook, for those token runs only: JSON Schema counts 372.0 as an
integer and schemathesis sends such numbers, but serde refuses them, and the
API parses a body before it reads the token (a 400 then comes first). The
token runs are about tokens, so their integral floats are sent as integers.
The admin run is left as generated.
"""

import os

import schemathesis


def expected_status():
    value = os.environ.get("INLET_API_FUZZ_EXPECT_STATUS", "")
    return int(value) if value else None


def declares_security(operation):
    return bool(operation.definition.raw.get("security"))


@schemathesis.check
def protected_operations_refuse_the_request(ctx, response, case):
    expected = expected_status()
    if expected is None or not declares_security(case.operation):
        return None
    if response.status_code != expected:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} where {expected} was expected"
        )
    return None


def integral_floats_as_integers(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integral_floats_as_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_as_integers(item) for item in value]
    return value


@schemathesis.hook
def map_body(ctx, body):
    if expected_status() is None:
        return body
    return integral_floats_as_integers(body)
