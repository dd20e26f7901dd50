"""Reading the Prometheus exposition in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def value(exposition: str, name: str, **labels: str) -> float:
    """The sample `name` with exactly these labels (0 when there is none yet)."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0
