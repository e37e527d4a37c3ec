"""The throughput benchmark runs full training steps of several configs on
the same inputs and reports images/s, ratios and per-process memory."""
import pytest
from conftest import load_tool

CONFIGS = [
    'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
    'configs/dilemma/'
    'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py',
]


def test_benchmark_reports_every_config_with_memory(tmp_path, capsys,
                                                    monkeypatch):
    benchmark = load_tool('tools/analysis_tools/benchmark_throughput.py')
    names = [
        'mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes',
        'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes'
    ]
    # Seconds per step of each round, as if measured: the medians 0.2 and
    # 0.1 differ from the first, last, mean, min and max of each list.
    rounds = dict(zip(names, ([0.4, 0.2, 0.1], [0.3, 0.1, 0.05])))
    time_steps = benchmark.time_steps

    def scripted_time_steps(subject, steps, device):
        time_steps(subject, steps, device)  # the steps still run
        return rounds[subject.name].pop(0)

    monkeypatch.setattr(benchmark, 'time_steps', scripted_time_steps)
    out = tmp_path / 'bench.json'
    results = benchmark.main(CONFIGS + [
        '--batch-size', '4', '--source-size', '40', '--rounds', '3', '--steps',
        '1', '--breakdown-steps', '1', '--json',
        str(out), '--equal-time-epochs', '6', '--cfg-options',
        'model.backbone.arch.num_layers=1'
    ])
    assert list(results) == names
    # images/s is the batch over the median step time of the rounds
    baseline, dilemma = results.values()
    assert baseline['seconds_per_step'] == pytest.approx(0.2)
    assert baseline['images_per_s'] == pytest.approx(20)
    assert dilemma['images_per_s'] == pytest.approx(40)
    for result in results.values():
        # a fresh process's own peak, not the benchmark process's
        assert 100 < result['peak_memory_mb'] < 20000
        # every phase timed, operators counted in each
        assert set(result['ms']) == set(benchmark.PHASES)
        assert all(result['ops'][phase] > 0 for phase in benchmark.PHASES)
    # the sparse online pass runs fewer operators than the dense one
    assert sum(dilemma['ops'].values()) < sum(baseline['ops'].values())
    table = capsys.readouterr().out
    assert '| 1.00x |' in table and '| 2.00x |' in table
    assert all(name in table for name in names)
    assert '| transfer | forward | momentum forward |' in table
    # equal time: 6 epochs of the baseline = 6 x 2.00 of DILEMMA, as the
    # train.py command that fits the schedule
    epochs = 12
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
