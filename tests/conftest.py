pytest_plugins = ["fixtures.cluster", "fixtures.sandbox", "fixtures.operator", "fixtures.aws_calls"]
