"""The HTTP service and its demo page: `python -m emotion.serve`."""
