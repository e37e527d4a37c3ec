from .misplacement import (MisplacementPrediction, build_token_drop,
                           draw_misplacement, predict_misplacement,
                           visualize_misplacement)

__all__ = [
    'MisplacementPrediction', 'build_token_drop', 'draw_misplacement',
    'predict_misplacement', 'visualize_misplacement'
]
