"""Knowledge distillation: a teacher's cached logits over the training split (teacher.py), cross-fitted ones, each
row scored by a teacher that did not train on it (crossfit.py), perturbed copies of the training texts for the
teacher to score (augment.py), and the student's mixed loss (loss.py); `model.teacher` turns it on
(emotion/models/classifier.py)."""

from emotion.distillation.augment import DELETE, augmented
from emotion.distillation.crossfit import fold_of, out_of_fold_logits
from emotion.distillation.loss import distillation_loss, mixed_loss
from emotion.distillation.teacher import ensemble_logits, save_logits, teacher_folder, teacher_logits

__all__ = ["DELETE", "augmented", "distillation_loss", "ensemble_logits", "fold_of", "mixed_loss", "out_of_fold_logits",
           "save_logits", "teacher_folder", "teacher_logits"]
