from .settings import PROJECT_ROOT, Profile, Settings

__all__ = ["PROJECT_ROOT", "Profile", "Settings"]
