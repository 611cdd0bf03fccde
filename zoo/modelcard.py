"""Hub model cards: YAML metadata (library, tags, license, datasets, model-index) plus prose.

The card is rendered with huggingface_hub's ``ModelCard`` so that the Hub (and ``ModelCard.load``)
parse its metadata; every metric row says what data it was measured on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from zoo.catalog import MetricRecord

_TEMPLATE = """---
{{ card_data }}
---

# {{ title }}

{{ summary }}

| | |
|---|---|
| architecture | `{{ model }}` |
| components | {{ components }} |
| training data | {{ training_data }} |
| license | {{ license }} |

## Results

{% if metrics %}| metric | value | measured on | setting |
|---|---|---|---|
{% for m in metrics %}| {{ m.name }} | {{ "%.4g"|format(m.value) }} | {{ m.measured_on }} | {{ m.setting }} |
{% endfor %}{% else %}No measured results yet.
{% endif %}
## Use

```python
import zoo
model = zoo.load("{{ load_name }}")
```

{% if reproduce %}## Reproduce

```bash
{{ reproduce }}
```
{% endif %}{% if notes %}## Notes

{{ notes }}
{% endif %}"""


class CardInfo(BaseModel):
    """What a model card says beyond the config: every metric names its data."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    summary: str = ""
    license: str = "other"
    datasets: list[str] = []
    tags: list[str] = []
    training_data: str = "unspecified"
    task: str = "other"
    metrics: list[MetricRecord] = []
    reproduce: str = ""
    notes: str = ""
    # From the run (zoo.engine.run_card): rendering them is the card's job.
    synthetic: bool = False
    provenance: dict[str, Any] = {}


def render_card(info: CardInfo, model_name: str, components: dict[str, str], load_name: str) -> str:
    """Render the README.md text of a Hub model repository."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    results = [
        EvalResult(
            task_type=info.task,
            dataset_type=m.measured_on.split(" ")[0].lower(),
            dataset_name=m.measured_on,
            metric_type=m.name.lower(),
            metric_value=m.value,
            metric_name=f"{m.name} ({m.setting})" if m.setting else m.name,
        )
        for m in info.metrics
    ]
    data = ModelCardData(
        library_name="zoo",
        license=info.license,
        tags=sorted({"zoo", *info.tags}),
        datasets=info.datasets or None,
        model_name=info.name or load_name,
        eval_results=results or None,
    )
    card = ModelCard.from_template(
        data,
        template_str=_TEMPLATE,
        title=info.name or model_name,
        summary=info.summary or f"A `{model_name}` checkpoint.",
        model=model_name,
        components=", ".join(f"`{k}` ({v})" for k, v in sorted(components.items())),
        training_data=info.training_data,
        license=info.license,
        metrics=info.metrics,
        load_name=load_name,
        reproduce=info.reproduce,
        notes=info.notes,
    )
    return str(card)


def card_from_any(card: CardInfo | dict[str, Any] | None) -> CardInfo:
    """Validate a card given as a dict (or None for an empty card).

    Raises:
        pydantic.ValidationError: if a field is unknown or mistyped.
    """
    if card is None:
        return CardInfo()
    return card if isinstance(card, CardInfo) else CardInfo.model_validate(card)
