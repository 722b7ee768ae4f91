"""Keys of the results in reports/eval_{task}.json (eval_inpaint.py writes them, model cards read them)."""


def result_key(backbone, regime):
    """The regime, prefixed by the backbone unless it is the paper's context encoder."""
    return regime if backbone in (None, "context-encoder") else f"{backbone}-{regime}"
