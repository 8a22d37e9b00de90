"""Knowledge distillation: a teacher's cached logits over the training split (teacher.py) and the student's mixed
loss (loss.py); `model.teacher` turns it on (emotion/models/classifier.py)."""

from emotion.distillation.loss import distillation_loss, mixed_loss
from emotion.distillation.teacher import teacher_folder, teacher_logits

__all__ = ["distillation_loss", "mixed_loss", "teacher_folder", "teacher_logits"]
