"""Contracts with workers, house rules, payments and statements."""
