"""Engine and session factories. Nothing connects at import time."""

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core.config import Settings

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(settings: Settings, *, pre_ping: bool = True) -> AsyncEngine:
    """`pre_ping` tests each pooled connection with a round trip before use. The worker turns it off:
    its activities retry, and a dropped connection makes the pool discard all its connections at the
    first failure, so the retry gets a fresh one; the API, whose requests do not retry, keeps it."""
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=pre_ping,
        # Rules read naive timestamps as UTC; every connection uses UTC so SQL and Python agree.
        connect_args={"options": "-c timezone=UTC"},
    )


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)
