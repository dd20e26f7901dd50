"""The employee record's field sets as the contract states them (CONTRACT.md §4), written
out here rather than imported from the policy module they check. (SENSITIVE here names
the sensitive fields; tests.support.employees.SENSITIVE gives them sample values.)"""

from __future__ import annotations

DIRECTORY = frozenset(
    {
        "id",
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "department_id",
        "manager_id",
        "location",
    }
)
EMPLOYMENT = frozenset(
    {"employment_type", "status", "hire_date", "termination_date", "termination_reason"}
)
SENSITIVE = frozenset(
    {"salary", "salary_currency", "ssn", "bank_account", "date_of_birth", "home_address"}
)
ALL_FIELDS = DIRECTORY | EMPLOYMENT | SENSITIVE
SELF_EDITABLE = frozenset({"phone", "home_address", "bank_account"})
# The ciphertext column of each sealed field.
SEALED = {
    "salary": "salary_enc",
    "salary_currency": "salary_currency_enc",
    "ssn": "ssn_enc",
    "bank_account": "bank_account_enc",
    "date_of_birth": "date_of_birth_enc",
    "home_address": "home_address_enc",
}
LETTERS = {"D": DIRECTORY, "E": EMPLOYMENT, "S": SENSITIVE}


def fields_of(letters: str) -> frozenset[str]:
    """ "DE" -> directory and employment fields."""
    out: frozenset[str] = frozenset()
    for letter in letters:
        out |= LETTERS[letter]
    return out
