"""The browser tests' fixtures the container test shares: the fake camera's videos and Playwright."""
from tests.browser.conftest import playwright_driver, videos  # noqa: F401  (fixtures, used by name)
