"""The home page's assistant agent (llmops-api.md §13): its documentation, the index over it and
its tools. The chat itself runs through the one chat service."""

from pathlib import Path

from pkg.catalog_files import Icon

# The icon of the apps the assistant creates, served by the API.
APP_ICON = Icon(content=(Path(__file__).resolve().parent / "app_icon.svg").read_bytes(), mimetype="image/svg+xml")
