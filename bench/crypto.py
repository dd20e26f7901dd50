"""Field-encryption speed on one core.

    python -m bench.crypto [--values 50000] [--runs 5]

Prints encrypt+decrypt round trips per second for a typical field value, and the time
to open every sensitive field of a 500-row page (500 data-key unwraps + 2,500 values),
which is what an hr/admin list page of 500 employees adds over a page without them.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from decimal import Decimal

from shre.crypto import DataKey, FieldBox, FieldContext, Keyring, MasterKey
from shre.crypto.envelope import unwrap_data_key, wrap_data_key

FIELDS = ("salary_enc", "ssn_enc", "bank_account_enc", "date_of_birth_enc", "home_address_enc")


def round_trips(count: int) -> float:
    box = FieldBox(DataKey.generate())
    context = FieldContext("employees", "ssn_enc", uuid.uuid4())
    started = time.perf_counter()
    for _ in range(count):
        box.decrypt(box.encrypt("123-45-6789", context), context)
    return count / (time.perf_counter() - started)


def page_of_500(keyring: Keyring) -> float:
    rows = []
    for _ in range(500):
        owner = uuid.uuid4()
        dek = DataKey.generate()
        box = FieldBox(dek)
        values = {
            column: box.encrypt("DE89370400440532013000", FieldContext("employees", column, owner))
            for column in FIELDS
        }
        values["salary_enc"] = box.encrypt_number(
            Decimal("85000.50"), FieldContext("employees", "salary_enc", owner)
        )
        rows.append((owner, wrap_data_key(keyring, dek, owner), values))
    started = time.perf_counter()
    for owner, wrapped, values in rows:
        box = FieldBox(unwrap_data_key(keyring, wrapped, owner))
        for column, token in values.items():
            box.decrypt(token, FieldContext("employees", column, owner))
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--values", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    keyring = Keyring(MasterKey(bytes(range(32))))
    rates = [round_trips(args.values) for _ in range(args.runs)]
    pages = [page_of_500(keyring) for _ in range(args.runs)]
    print(
        f"encrypt+decrypt round trips: median {statistics.median(rates):,.0f}/s "
        f"({args.runs} runs of {args.values:,}; one core)"
    )
    print(f"open all sensitive fields of a 500-row page: median {statistics.median(pages):.1f} ms")


if __name__ == "__main__":
    main()
