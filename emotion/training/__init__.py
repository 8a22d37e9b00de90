"""The fit-then-evaluate steps around Lightning's Trainer that the train and eval commands share."""
