"""Why a change to a session is refused."""


class SessionLocked(Exception):
    """The session is past the point where this change is allowed."""


class SessionRefused(Exception):
    """The session cannot close: the procedure's rules are not met."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))
