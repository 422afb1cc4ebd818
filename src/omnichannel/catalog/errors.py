"""Catalog errors, each with its stable code."""

from __future__ import annotations

from omnichannel.kernel.errors import Conflict, InvalidInput


class ProductCodeTaken(Conflict):
    code = "product_code_taken"


class SkuTaken(Conflict):
    code = "sku_taken"


class GtinTaken(Conflict):
    code = "gtin_taken"


class BrandCodeTaken(Conflict):
    code = "brand_code_taken"


class BrandInUse(Conflict):
    code = "brand_in_use"


class CategoryCodeTaken(Conflict):
    code = "category_code_taken"


class CategoryHasChildren(Conflict):
    code = "category_has_children"


class CategoryInUse(Conflict):
    code = "category_in_use"


class ImportRejected(InvalidInput):
    """A bulk import with problems: every one is listed, nothing was written."""

    code = "import_rejected"
    title = "Import rejected"
