"""`tempogram credentials new-key | reseal`: keys that seal provider credentials, and their rotation."""

import asyncio
import uuid

import domain.tables  # noqa: F401 - every mapped table, so foreign keys resolve
from core.config import get_settings
from core.credentials import new_key
from core.db import create_engine, create_session_factory
from domain.messaging.service import reseal_credentials


def new_key_or_reseal(action: str) -> None:
    if action == "new-key":
        print(new_key())
        return
    changed, unreadable = asyncio.run(_reseal())
    print(f"re-sealed the credentials of {changed} providers with the first key of TEMPOGRAM_CREDENTIALS_KEYS")
    if unreadable:
        print(f"{len(unreadable)} providers have credentials no listed key opens (left as they are):")
        for provider_id in unreadable:
            print(f"  {provider_id}")


async def _reseal() -> tuple[int, list[uuid.UUID]]:
    settings = get_settings()
    settings.check_secrets()
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            changed = await reseal_credentials(session, settings.credential_cipher())
            await session.commit()
            return changed
    finally:
        await engine.dispose()
