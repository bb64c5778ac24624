"""When CI says services are required, the suite really runs on PostgreSQL and Redis."""

import pytest
from django.db import connection

from tests.conftest import REQUIRE_SERVICES, redis_available


@pytest.mark.skipif(not REQUIRE_SERVICES, reason="only when SMSINBOX_REQUIRE_SERVICES=1")
def test_required_services_are_the_ones_in_use(db):
    assert connection.vendor == "postgresql"
    assert redis_available()
    from django.conf import settings

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert "pool" in settings.DATABASES["default"]["OPTIONS"]
