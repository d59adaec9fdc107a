"""Seeders: shop defaults, demo data and bulk data."""
