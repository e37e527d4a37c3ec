"""What a DILEMMA model sees and what it predicts, per patch.

:func:`predict_misplacement` draws a sparse, misplaced token layout for an
image with the config's ``TokenDropTransform`` and runs the algorithm's
backbone and misplacement head on it; :func:`draw_misplacement` draws, per
image, the input with its dropped, kept and misplaced patches, the patches
at the positions the encoder was told, and the predicted misplacement
probability of every kept patch. :func:`visualize_misplacement` does both
from a config and a checkpoint (``tools/analysis_tools/
visualize_misplacement.py`` is its command line).
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from dilemma_mm.datasets.transforms import TokenDropTransform

ImageLike = Union[str, np.ndarray]


@dataclass
class MisplacementPrediction:
    """One image, its token layout and the predicted probabilities.

    Attributes:
        image (np.ndarray): The resized input, RGB uint8, (H, W, 3).
        patch_size (tuple[int, int]): (p_h, p_w) in pixels.
        keep (np.ndarray): Grid indices of the kept patches, (K, ).
        pos (np.ndarray): Positions whose embeddings they received, (K, );
            ``pos != keep`` marks the misplaced ones.
        prob (np.ndarray): Predicted probability that each kept patch is
            misplaced, (K, ).
        name (str): A label for the image, e.g. its file name.
    """

    image: np.ndarray
    patch_size: Tuple[int, int]
    keep: np.ndarray
    pos: np.ndarray
    prob: np.ndarray
    name: str = ''

    @property
    def grid(self) -> Tuple[int, int]:
        """(rows, columns) of the patch grid."""
        return (self.image.shape[0] // self.patch_size[0],
                self.image.shape[1] // self.patch_size[1])

    @property
    def misplaced(self) -> np.ndarray:
        """Boolean (K, ): the kept patches given a wrong position."""
        return self.pos != self.keep

    @property
    def accuracy(self) -> float:
        """Fraction of kept patches classified right at probability 0.5."""
        return float(np.mean((self.prob > 0.5) == self.misplaced))


def find_token_drop(cfg: Config) -> dict:
    """The first ``TokenDropTransform`` dict of the config's pipelines."""

    def search(node):
        if isinstance(node, dict):
            if str(node.get('type', '')).endswith('TokenDropTransform'):
                return node
            nodes = node.values()
        elif isinstance(node, (list, tuple)):
            nodes = node
        else:
            return None
        for child in nodes:
            found = search(child)
            if found is not None:
                return found
        return None

    found = search(cfg.get('train_dataloader', {}))
    found = found or search(cfg._cfg_dict.to_dict())
    if found is None:
        raise ValueError('The config has no TokenDropTransform in its '
                         'pipelines; is it a DILEMMA config?')
    return found


def build_token_drop(
        cfg: Config,
        drop_ratio: Optional[float] = None,
        misplace_prob: Optional[float] = None) -> TokenDropTransform:
    """The config's ``TokenDropTransform``, with optional overrides."""
    args = {
        k: v
        for k, v in find_token_drop(cfg).items()
        if k not in ('type', '_scope_')
    }
    if drop_ratio is not None:
        args['drop_ratio'] = drop_ratio
    if misplace_prob is not None:
        args['misplace_prob'] = misplace_prob
    return TokenDropTransform(**args)


def _input_size(backbone: torch.nn.Module) -> Tuple[int, int]:
    size = getattr(backbone.patch_embed, 'init_input_size', None)
    if size is None:
        raise ValueError('The backbone does not record its input size.')
    return tuple(size)


def predict_misplacement(model: torch.nn.Module,
                         image: ImageLike,
                         token_drop: TokenDropTransform,
                         seed: Optional[int] = None,
                         name: str = '') -> MisplacementPrediction:
    """Corrupt one image as in training and predict the misplacements.

    Args:
        model (nn.Module): A DILEMMA algorithm: ``backbone`` (a
            ``DilemmaViT``), ``misplacement_head`` and ``data_preprocessor``.
        image (str | np.ndarray): A path, or a BGR uint8 (H, W, 3) array
            as ``LoadImageFromFile`` gives. Resized to the backbone's input
            size.
        token_drop (TokenDropTransform): Draws ``keep`` and ``pos``.
        seed (int, optional): Seed for the draw; NumPy's global state is
            restored afterwards. Defaults to None (unseeded).
        name (str): Label of the image. Defaults to its path if given.

    Returns:
        MisplacementPrediction: The layout and the probabilities.
    """
    import mmcv
    if not hasattr(model, 'misplacement_head'):
        raise TypeError(f'{type(model).__name__} has no misplacement_head: '
                        'visualise a DILEMMA model.')
    if isinstance(image, str):
        name = name or osp.basename(image)
        image = mmcv.imread(image, channel_order='bgr')
    height, width = _input_size(model.backbone)
    image = mmcv.imresize(image, (width, height))  # (H, W, 3) BGR

    state = np.random.get_state()
    try:
        if seed is not None:
            np.random.seed(seed)
        keep, pos = token_drop.sample(token_drop.num_tokens(image))
    finally:
        np.random.set_state(state)

    device = next(model.parameters()).device
    inputs = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    data = model.data_preprocessor(
        dict(inputs=inputs[None].to(device), data_samples=None), False)
    x = data['inputs']  # (1, 3, H, W), normalised, channels as in training
    keep_t = torch.from_numpy(keep)[None].to(device)  # (1, K)
    pos_t = torch.from_numpy(pos)[None].to(device)  # (1, K)
    with torch.no_grad():
        _, tokens = model.backbone.forward_with_patch_tokens(
            x, keep_t, pos_t)  # (1, K, C)
        prob = model.misplacement_head(tokens).sigmoid()[0]  # (K, )
    return MisplacementPrediction(
        image=np.ascontiguousarray(image[..., ::-1]),
        patch_size=token_drop.patch_size,
        keep=keep,
        pos=pos,
        prob=prob.float().cpu().numpy(),
        name=name)


def _cell(index: int, pred: MisplacementPrediction) -> Tuple[slice, slice]:
    (p_h, p_w), cols = pred.patch_size, pred.grid[1]
    row, col = divmod(int(index), cols)
    return (slice(row * p_h, (row + 1) * p_h), slice(col * p_w,
                                                     (col + 1) * p_w))


def _boxes(ax, indices, pred: MisplacementPrediction, color: str) -> None:
    from matplotlib.patches import Rectangle
    (p_h, p_w), cols = pred.patch_size, pred.grid[1]
    for index in indices:
        row, col = divmod(int(index), cols)
        ax.add_patch(
            Rectangle((col * p_w - 0.5, row * p_h - 0.5),
                      p_w,
                      p_h,
                      fill=False,
                      edgecolor=color,
                      linewidth=1.5))


def draw_misplacement(predictions: Sequence[MisplacementPrediction],
                      out_file: Optional[str] = None,
                      dpi: int = 100):
    """One row per image, three panels (matplotlib, Agg; no display):

    1. the input: dropped patches greyed out, misplaced ones boxed in red;
    2. what the encoder is told: each kept patch drawn at the position
       whose embedding it received (misplaced ones boxed where they land);
    3. the predicted misplacement probability of each kept patch, at its
       true place (dropped: grey), the truly misplaced ones boxed.

    Args:
        predictions (Sequence[MisplacementPrediction]): From
            :func:`predict_misplacement`.
        out_file (str, optional): Save the figure there (PNG by extension).
        dpi (int): Resolution of the saved figure. Defaults to 100.

    Returns:
        matplotlib.figure.Figure: The figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.4 * len(predictions)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(predictions), 3, squeeze=False)
    for row, pred in zip(axes, predictions):
        misplaced = pred.misplaced
        dropped = np.setdiff1d(
            np.arange(pred.grid[0] * pred.grid[1]), pred.keep)
        shown = pred.image.copy()
        for index in dropped:
            cell = _cell(index, pred)
            shown[cell] = shown[cell] // 4 + 150
        told = np.full_like(pred.image, 128)
        for src, dst in zip(pred.keep, pred.pos):
            told[_cell(dst, pred)] = pred.image[_cell(src, pred)]
        heat = np.full(pred.grid[0] * pred.grid[1], np.nan)
        heat[pred.keep] = pred.prob

        row[0].imshow(shown)
        _boxes(row[0], pred.keep[misplaced], pred, 'red')
        row[0].set_title(
            f'{pred.name}\n{len(pred.keep)} kept, '
            f'{len(dropped)} dropped (grey), '
            f'{int(misplaced.sum())} misplaced (red)',
            fontsize=8)
        row[1].imshow(told)
        _boxes(row[1], pred.pos[misplaced], pred, 'red')
        row[1].set_title(
            'patches at the positions given to the encoder', fontsize=8)
        row[2].imshow(pred.image, alpha=0.35)
        image = row[2].imshow(
            heat.reshape(pred.grid),
            cmap='magma',
            vmin=0,
            vmax=1,
            alpha=0.85,
            interpolation='nearest',
            extent=(-0.5, pred.image.shape[1] - 0.5, pred.image.shape[0] - 0.5,
                    -0.5))
        _boxes(row[2], pred.keep[misplaced], pred, 'cyan')
        row[2].set_title(
            f'predicted P(misplaced); accuracy at 0.5: '
            f'{pred.accuracy:.2f}',
            fontsize=8)
        fig.colorbar(image, ax=row[2], fraction=0.046, pad=0.04)
        for ax in row:
            ax.set_axis_off()
    fig.tight_layout()
    if out_file is not None:
        fig.savefig(out_file, dpi=dpi)
    return fig


def visualize_misplacement(
        config: Union[str, Config],
        checkpoint: Optional[str],
        images: Sequence[ImageLike],
        out_file: Optional[str] = None,
        drop_ratio: Optional[float] = None,
        misplace_prob: Optional[float] = None,
        seed: Optional[int] = 0,
        device: str = 'cpu',
        model: Optional[torch.nn.Module] = None
) -> List[MisplacementPrediction]:
    """Load a DILEMMA model and draw its predictions on ``images``.

    Args:
        config (str | Config): The training config (its
            ``TokenDropTransform`` gives the layout; its model the network).
        checkpoint (str, optional): Weights (path or URL) for the model.
        images (Sequence[str | np.ndarray]): Paths or BGR arrays.
        out_file (str, optional): PNG to write. Defaults to None.
        drop_ratio (float, optional): Override the config's drop ratio.
        misplace_prob (float, optional): Override its misplacement
            probability.
        seed (int, optional): Seed of the first image's layout; image ``i``
            uses ``seed + i``. Defaults to 0.
        device (str): Device to run on. Defaults to ``'cpu'``.
        model (nn.Module, optional): An already built model, instead of
            building one from ``config`` and ``checkpoint``.

    Returns:
        list[MisplacementPrediction]: One per image.
    """
    from dilemma_mm.apis import init_model
    from dilemma_mm.utils import load_config
    cfg = load_config(config) if isinstance(config, str) else config
    if model is None:
        model = init_model(cfg, checkpoint, device=device)
    token_drop = build_token_drop(cfg, drop_ratio, misplace_prob)
    predictions = [
        predict_misplacement(
            model,
            image,
            token_drop,
            None if seed is None else seed + i,
            name=osp.basename(image)
            if isinstance(image, str) else f'image {i}')
        for i, image in enumerate(images)
    ]
    if out_file is not None:
        draw_misplacement(predictions, out_file)
    return predictions
