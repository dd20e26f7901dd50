import pytest

# The shared helpers' asserts explain a failure as a test's do (pytest rewrites them):
# registered here, before anything imports them.
pytest.register_assert_rewrite("tests.support")
