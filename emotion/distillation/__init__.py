"""Knowledge distillation: a teacher's cached logits over the training split, one teacher or the mean of several
(teacher.py), and the student's mixed loss (loss.py); `model.teacher` turns it on (emotion/models/classifier.py)."""

from emotion.distillation.loss import distillation_loss, mixed_loss
from emotion.distillation.teacher import ensemble_logits, save_logits, teacher_folder, teacher_logits

__all__ = ["distillation_loss", "ensemble_logits", "mixed_loss", "save_logits", "teacher_folder", "teacher_logits"]
