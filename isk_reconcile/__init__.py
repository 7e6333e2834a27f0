"""isk-reconcile: run an ISP's PPPoE customers on MikroTik routers the GitOps way."""

__version__ = "0.1.0"
