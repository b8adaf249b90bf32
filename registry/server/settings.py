"""What one `template-registry serve` process is configured with, and its access policy.

Kept free of FastAPI so the policy (which accounts a key may act in) is plain and
testable. The API key is excluded from `repr` so that printing or logging the settings
can never reveal it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from registry.server.faults import DEFAULT_FAULT_KINDS, FaultKind


@dataclass(frozen=True)
class Settings:
    """Options of the local server; `api_key=None` means no authentication (`--insecure`)."""

    api_key: str | None = field(default=None, repr=False)
    accounts: frozenset[str] = frozenset()
    db: str | None = None
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: tuple[FaultKind, ...] = DEFAULT_FAULT_KINDS
    max_page_size: int | None = None  # at most this many items per list page
    refuse_used_template_delete: bool = False  # 409 for a template that models still use

    def key_matches(self, presented: str | None) -> bool:
        """True when the presented key is the configured one (constant-time compare)."""
        if self.api_key is None:
            return True
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.api_key.encode())

    def may_act_in(self, account_id: str) -> bool:
        """Whether the key may act in `account_id`: any account unless `--account` limits it."""
        return not self.accounts or account_id in self.accounts
