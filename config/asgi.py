"""ASGI entry point: HTTP through Django, websockets through Channels (live.routing).

Every HTTP request passes web.asgi_limits first, which refuses a body over its limit
before it is read; static files are answered by WhiteNoise, the first middleware
(settings: STATIC_COLLECTED). Every websocket is counted for the metrics (web.ops.asgi).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from live.routing import websocket_urlpatterns  # noqa: E402
from web.asgi_limits import BodyLimitMiddleware  # noqa: E402
from web.ops.asgi import WebsocketClientCounter  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": WebsocketClientCounter(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
