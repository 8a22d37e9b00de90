"""The six CARER emotions, in the Hugging Face ClassLabel order every split and checkpoint uses."""

EMOTIONS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
ID2LABEL: dict[int, str] = dict(enumerate(EMOTIONS))
LABEL2ID: dict[str, int] = {name: i for i, name in ID2LABEL.items()}
