"""The throughput benchmark runs full training steps of several configs on
the same inputs and reports images/s, ratios and per-process memory."""
from conftest import load_tool

CONFIGS = [
    'configs/mocov3/mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py',
    'configs/dilemma/dilemma-mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py',
]


def test_benchmark_reports_every_config_with_memory(tmp_path, capsys):
    benchmark = load_tool('tools/analysis_tools/benchmark_throughput.py')
    out = tmp_path / 'bench.json'
    results = benchmark.main(CONFIGS + [
        '--batch-size', '4', '--source-size', '72', '--rounds', '1', '--steps',
        '1', '--json',
        str(out), '--cfg-options', 'model.backbone.arch.num_layers=1'
    ])
    names = [
        'mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes',
        'dilemma-mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes'
    ]
    assert list(results) == names
    for result in results.values():
        assert result['images_per_s'] > 0
        # a fresh process's own peak, not the benchmark process's
        assert 100 < result['peak_memory_mb'] < 20000
    table = capsys.readouterr().out
    assert '| 1.00x |' in table and all(name in table for name in names)
    assert out.is_file()


def test_process_peak_rss_is_this_process():
    benchmark = load_tool('tools/analysis_tools/benchmark_throughput.py')
    before = benchmark.process_peak_rss_mb()
    block = bytearray(200 * 2**20)  # touch 200 MB
    block[::4096] = b'x' * len(block[::4096])
    assert benchmark.process_peak_rss_mb() >= before + 150
