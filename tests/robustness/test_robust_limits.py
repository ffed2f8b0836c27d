"""Every bound a client can hit answers a 4xx whose message says what the limit is."""

from __future__ import annotations

import pytest

from search.request import MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_RESULT_WINDOW


def _error(resp, status: int) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    data = resp.get_json()
    assert data == {"ok": False, "error": data["error"], "status": status}
    return data["error"]


def test_query_length(rb_client):
    assert rb_client.get("/search", query_string={"q": "a" * MAX_QUERY_CHARS}).status_code == 200
    msg = _error(rb_client.get("/search", query_string={"q": "a" * (MAX_QUERY_CHARS + 1)}), 400)
    assert f"{MAX_QUERY_CHARS + 1} characters" in msg and str(MAX_QUERY_CHARS) in msg


@pytest.mark.parametrize("value", ["0", "-1", str(MAX_PER_PAGE + 1), "1000000"])
def test_per_page(rb_client, value):
    msg = _error(rb_client.get("/search", query_string={"q": "hubungan", "per_page": value}), 400)
    assert f"between 1 and {MAX_PER_PAGE}" in msg


def test_page_depth(rb_client):
    ok = rb_client.get("/search", query_string={"q": "hubungan", "per_page": "100",
                                                "page": str(MAX_RESULT_WINDOW // 100)})
    assert ok.status_code == 200
    msg = _error(rb_client.get("/search", query_string={"q": "hubungan", "per_page": "100",
                                                        "page": str(MAX_RESULT_WINDOW // 100 + 1)}), 400)
    assert "too deep" in msg and str(MAX_RESULT_WINDOW) in msg
    msg = _error(rb_client.get("/search", query_string={"q": "hubungan", "page": "9" * 5000}), 400)
    assert msg == "page is far too large (5000 digits)"


def test_bad_values_are_not_echoed_back_whole(rb_client):
    for name in ("page", "from"):
        msg = _error(rb_client.get("/search", query_string={"q": "hubungan", name: "x" * 10_000}), 400)
        assert len(msg) < 200, msg


@pytest.mark.parametrize("name", ["page", "per_page"])
def test_not_a_number(rb_client, name):
    msg = _error(rb_client.get("/search", query_string={"q": "hubungan", name: "abc"}), 400)
    assert f"{name} must be a whole number" in msg


def test_query_string_size(rb_app, rb_client):
    limit = rb_app.config["MAX_QUERY_STRING_BYTES"]
    msg = _error(rb_client.get("/search?q=" + "a" * (limit + 1)), 414)
    assert str(limit) in msg


def test_request_body_size(rb_app, rb_client):
    limit = rb_app.config["MAX_CONTENT_LENGTH"]
    msg = _error(rb_client.get("/search?q=hubungan", data=b"x" * (limit + 1)), 413)
    assert str(limit) in msg
    # A small body on a GET is ignored, not an error.
    assert rb_client.get("/search?q=hubungan", data=b"x" * 10).status_code == 200
