"""The throughput benchmark runs full training steps of several configs on
the same inputs and reports images/s, ratios and per-process memory."""
import pytest
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
        str(out), '--equal-time-epochs', '20', '--cfg-options',
        'model.backbone.arch.num_layers=1'
    ])
    names = [
        'mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes',
        'dilemma-mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes'
    ]
    assert list(results) == names
    for result in results.values():
        # images/s is the batch over the median measured step time
        assert result['seconds_per_step'] > 0
        assert result['images_per_s'] == pytest.approx(
            4 / result['seconds_per_step'])
        # a fresh process's own peak, not the benchmark process's
        assert 100 < result['peak_memory_mb'] < 20000
        # every phase timed, operators counted in each
        assert set(result['ms']) == set(benchmark.PHASES)
        assert all(result['ops'][phase] > 0 for phase in benchmark.PHASES)
    baseline, dilemma = results.values()
    # the sparse online pass runs fewer operators than the dense one
    assert sum(dilemma['ops'].values()) < sum(baseline['ops'].values())
    table = capsys.readouterr().out
    assert '| 1.00x |' in table and all(name in table for name in names)
    assert '| transfer | forward | momentum forward |' in table
    # equal time: 20 epochs of the baseline = 20 x ratio of DILEMMA, as the
    # train.py command that fits the schedule
    ratio = dilemma['images_per_s'] / baseline['images_per_s']
    epochs = round(20 * ratio)
    assert dilemma['equal_time_epochs'] == epochs
    assert (f'{CONFIGS[1]} --epochs {epochs} '
            '--cfg-options model.backbone.arch.num_layers=1') in table
    assert out.is_file()


def test_process_peak_rss_is_this_process():
    benchmark = load_tool('tools/analysis_tools/benchmark_throughput.py')
    before = benchmark.process_peak_rss_mb()
    block = bytearray(200 * 2**20)  # touch 200 MB
    block[::4096] = b'x' * len(block[::4096])
    assert benchmark.process_peak_rss_mb() >= before + 150
