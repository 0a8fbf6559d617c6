"""pkg.catalog_files.load_icon: the one icon loader of the declarative catalogs."""

import pytest

from pkg.catalog_files import load_icon


class CatalogError(Exception):
    pass


def test_an_icon_of_the_folder_is_read_with_its_mimetype(tmp_path):
    (tmp_path / "icon.svg").write_bytes(b"<svg/>")
    (tmp_path / "logo.PNG").write_bytes(b"\x89PNG")
    svg = load_icon(tmp_path, "icon.svg", CatalogError, "provider.yaml")
    assert (svg.content, svg.mimetype) == (b"<svg/>", "image/svg+xml")
    assert load_icon(tmp_path, "logo.PNG", CatalogError, "provider.yaml").mimetype == "image/png"


@pytest.mark.parametrize("file_name", ["missing.svg", "icon.gif", "../outside.svg", "sub/icon.svg"])
def test_a_missing_foreign_or_outside_icon_raises_the_catalogs_error_naming_the_declaring_file(tmp_path, file_name):
    folder = tmp_path / "provider"
    (folder / "sub").mkdir(parents=True)
    for path in (folder / "icon.gif", tmp_path / "outside.svg", folder / "sub" / "icon.svg"):
        path.write_bytes(b"x")
    with pytest.raises(CatalogError, match=r"^provider\.yaml: icon .* must be an svg/png/jpeg file in "):
        load_icon(folder, file_name, CatalogError, "provider.yaml")
