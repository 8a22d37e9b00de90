"""Studies of the data and of a model's errors and hidden states, used by explore, features and analyze."""
