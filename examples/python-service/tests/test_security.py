from app import create_app
from app.ratelimit import RateLimiter


def test_security_headers_on_every_response(client):
    for path in ["/health", "/api/items", "/does-not-exist"]:
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_frame_options_can_be_turned_off(database_url):
    app = create_app({"DATABASE_URL": database_url, "X_FRAME_OPTIONS": ""})
    assert "X-Frame-Options" not in app.test_client().get("/health").headers


def test_cors_allows_the_configured_origin_only(client):
    allowed = client.get("/health", headers={"Origin": "https://app.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_plain_http_behind_a_proxy_is_redirected(client):
    response = client.get("/api/items?x=1", headers={"X-Forwarded-Proto": "http"})
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/api/items?x=1"
    secure = client.get("/api/items", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200


def test_rate_limiter_window_starts_over():
    now = [0.0]
    limiter = RateLimiter(2, 10, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b")
    assert limiter.retry_after("a") == 11
    now[0] = 10.0
    assert limiter.allow("a")
