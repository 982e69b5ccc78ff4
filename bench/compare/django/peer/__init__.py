"""Django + DRF peer of hancup's catalog read API (bench/compare)."""
