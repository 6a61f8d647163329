"""Security headers, CORS for one allowed origin, HTTPS behind a proxy."""

from flask import redirect, request

CSP = "default-src 'self'; frame-ancestors 'none'; object-src 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def install_security(app):
    @app.before_request
    def enforce_https():
        # Behind a TLS-terminating proxy: a plain-http request is redirected.
        if request.headers.get("X-Forwarded-Proto", "").lower() == "http":
            url = "https://" + request.url.split("://", 1)[1]
            return redirect(url, code=308)
        return None

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["Strict-Transport-Security"] = HSTS
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        frame_options = app.config["X_FRAME_OPTIONS"]
        if frame_options:
            headers["X-Frame-Options"] = frame_options
        origin = request.headers.get("Origin")
        if origin and origin == app.config["ALLOWED_ORIGIN"]:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        headers.add("Vary", "Origin")
        return response
