from .short_term import DialogTurn, build_history

__all__ = ["DialogTurn", "build_history"]
