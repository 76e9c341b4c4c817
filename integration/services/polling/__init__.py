"""Polling: what calls Dr Green and feeds the mirror (sweeps, heartbeat, KYC, refresh, the full
reconcile and its page pipeline, tombstones, run bookkeeping, leases)."""
