"""The student's loss: cross-entropy on the labels mixed with the KL divergence to the teacher's softened outputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) between the two distributions softened by `temperature`, averaged over the batch and
    scaled by temperature^2 so that its gradients keep their size as the temperature changes (Hinton et al., 2015).
    In fp32 whatever the autocast: bf16 log-probabilities of near-certain classes lose the small ones."""
    student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    teacher = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    return F.kl_div(student, teacher, log_target=True, reduction="batchmean") * temperature**2


def mixed_loss(
    label_loss: torch.Tensor,
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor | None,
    alpha: float,
    temperature: float,
) -> torch.Tensor:
    """alpha x (the label loss) + (1 - alpha) x the distillation loss; alpha = 1 (or no teacher) is the label loss
    itself, untouched, so plain fine-tuning is reproduced exactly."""
    if teacher_logits is None or alpha == 1.0:
        return label_loss
    return alpha * label_loss + (1.0 - alpha) * distillation_loss(student_logits, teacher_logits, temperature)
