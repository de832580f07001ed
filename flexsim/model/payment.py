"""Payment regimes by name (REGIMES): when money moves for an order. The regimes' hooks are in
model/regime.py, trade credit (offline credit, prepaid, deposit and balance) in
model/credit.py, the platform's voucher in model/voucher.py; the names are the scenario's
`RegimeName`, tied to this registry at import.
"""

from __future__ import annotations

from flexsim.model.credit import DepositBalance, OfflineCredit, Prepaid
from flexsim.model.regime import Regime
from flexsim.model.voucher import Voucher
from flexsim.scenario import RegimeName
from flexsim.vocabulary import check_names

REGIMES: dict[str, type[Regime]] = {
    "offline_credit": OfflineCredit,
    "voucher": Voucher,
    "prepaid": Prepaid,
    "deposit_balance": DepositBalance,
}
check_names(REGIMES, RegimeName, "payment.REGIMES")
