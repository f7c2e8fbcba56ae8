"""Hygiene rounds: checklists per room, turnover after check-out, supplies, the inspection record."""
