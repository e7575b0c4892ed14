pytest_plugins = ["fixtures.cluster", "fixtures.operator"]
