"""An address whose path holds a NUL character is a 400 before any view reads it
(institute/address_guard.py): on PostgreSQL each of these was a 500, the database refusing the
NUL in the value a view looked up."""

import pytest

from institute.editorial.states import ReviewState
from tests.factories import entry_in_state

pytestmark = pytest.mark.django_db

NUL_PATHS = [
    "/data/releases/%00/",
    "/data/releases/2026-1%00/reforms.csv",
    "/data/releases/latest/reforms%00.csv",
    "/api/v1/reforms/%00/",
    "/api/v1/sources/a%00b/",
    "/alerts/unsubscribe/%00/",
    "/alerts/confirm/%00/",
    "/reforms/tenge%00/",
    "/ru/recommendations/%00/",
]


@pytest.mark.parametrize("path", NUL_PATHS)
@pytest.mark.parametrize("method", ["get", "head", "post"])
def test_a_nul_in_the_path_is_a_400_that_says_so(client, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 400
    if method != "head":
        assert b"contains a NUL character (%00)" in response.content
    assert "public" not in response.get("Cache-Control", "")


def test_the_same_addresses_without_the_nul_are_answered_as_before(client):
    entry_in_state("reform", ReviewState.PUBLISHED, slug="tenge", title="The tenge floats")
    assert client.get("/reforms/tenge/").status_code == 200
    assert client.get("/api/v1/reforms/tenge/").status_code == 200
    assert client.get("/alerts/unsubscribe/no-such-token/").status_code == 404
    assert client.get("/data/releases/no-such-release/").status_code == 404
