"""Claim modules: each registers its paper's claims on import (no heavy imports at module level)."""
