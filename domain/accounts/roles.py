"""Roles in a project, each allowing what the one below allows and more."""

import enum


class Role(enum.StrEnum):
    VIEWER = "viewer"  # reads everything
    EDITOR = "editor"  # lists, journeys, campaigns, broadcasts, schedules, users' data
    ADMIN = "admin"  # settings, providers, subscription groups, suppressions, keys, the audit log
    OWNER = "owner"  # everything, members included

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank
