"""Import every capability's models so that Base.metadata knows all tables."""

import importlib

CAPABILITIES = ("accounts", "privacy", "rooms", "contracts", "bookings", "reception",
                "alarms", "hygiene", "rota", "guide")


def import_capability_module(capability: str, module: str):
    """Import ``location_ops.<capability>.<module>``, or return None if it has none."""
    name = f"location_ops.{capability}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name in (f"location_ops.{capability}", name):
            return None
        raise


for _capability in CAPABILITIES:
    import_capability_module(_capability, "models")
