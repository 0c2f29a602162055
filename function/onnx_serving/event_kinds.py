"""Which entry point sent an event: the name every log line and answer shape goes by.

Five reach the handler: a direct invoke (the event *is* the request), API Gateway REST APIs
(payload format 1.0), HTTP APIs and Function URLs (format 2.0), and Application Load Balancers
(format 1.0's fields, with ``requestContext.elb``).
"""

from __future__ import annotations

DIRECT = "direct"
REST_API = "rest-api"
HTTP_API = "http-api"
FUNCTION_URL = "function-url"
ALB = "alb"
KINDS = (DIRECT, REST_API, HTTP_API, FUNCTION_URL, ALB)


def event_kind(event: object) -> str:
    """Which entry point sent ``event``; never fails, so even errors are shaped for the caller."""
    if isinstance(event, dict):
        context = event.get("requestContext")
        if isinstance(context, dict):
            if isinstance(context.get("elb"), dict):
                return ALB
            if isinstance(context.get("http"), dict):
                domain = context.get("domainName")
                is_url = isinstance(domain, str) and ".lambda-url." in domain
                return FUNCTION_URL if is_url else HTTP_API
        if "httpMethod" in event:
            return REST_API
    return DIRECT
