import os

# scripts/local-cluster, which fixtures start, checks the pinned binaries instead of building
# them: tools are built before pytest starts (scripts/test), never inside a timed test.
os.environ["GDPR_TOOLS_CHECK_ONLY"] = "1"

pytest_plugins = ["fixtures.cluster", "fixtures.sandbox", "fixtures.operator", "fixtures.aws_calls"]
