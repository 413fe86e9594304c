def pytest_configure(config):
    config.addinivalue_line("markers", "multiprocess: starts a small local world of processes (2 ranks, fork)")
