import torch
import torch.nn.functional as F


def koleo_loss(features: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Kozachenko-Leonenko entropy term: spread features over the sphere.

    DINOv2's KoLeo regulariser. Each L2-normalised feature's distance to
    its nearest other feature in the batch is pushed up through
    ``-log(distance)``, averaged over the batch, which raises a
    nearest-neighbour estimate of the features' differential entropy. It
    repels near-duplicates, which the DINO loss alone never does.

    Args:
        features (torch.Tensor): (N, C) features of N different images
            (one view each), N >= 2.
        eps (float): Added to each distance before the log.
            Defaults to 1e-8.

    Returns:
        torch.Tensor: The scalar loss.
    """
    if features.dim() != 2 or len(features) < 2:
        raise ValueError('koleo_loss needs (N, C) features with N >= 2, '
                         f'got shape {tuple(features.shape)}.')
    unit = F.normalize(features.float(), dim=-1, eps=eps)
    with torch.no_grad():
        cosines = unit @ unit.t()
        cosines.fill_diagonal_(-2.)  # never one's own neighbour
        nearest = cosines.argmax(dim=1)
    distances = (unit - unit[nearest]).norm(dim=-1)
    return -torch.log(distances + eps).mean()
