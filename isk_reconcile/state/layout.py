"""Where a state repository keeps what (SPEC §2), relative to its root."""

SETTINGS_FILE = "state/settings.yaml"
ROUTERS_FILE = "state/routers.yaml"
PROFILES_DIR = "state/profiles"
CUSTOMERS_DIR = "state/customers"
PAYMENTS_DIR = "payments"
