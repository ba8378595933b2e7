"""Attach the tails of the brokers' and MirrorMaker 2's logs to every failure report of the e2e test."""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        env = getattr(item.module, "E2E_ENV", None)
        if env is not None:
            try:
                logs = getattr(env, "failure_logs", None) or env.logs()
                report.sections.append(("e2e logs (tail: brokers, MirrorMaker 2)", logs))
            except Exception as e:  # noqa: BLE001 - never hide the real failure
                report.sections.append(("e2e logs", f"<could not collect logs: {e}>"))
