"""Pricing: price lists per currency and segment, VAT, promotions and coupons, the quote."""
