namespace Karma.Training.Experiments;

/// <summary>
/// The Search-path evaluation of one ablation run (its checkpoint exported to a package, evaluated against the
/// baselines on the test requests), as the ablation needs it: the figures, each figure's per-example values (same
/// example order in every run, so runs can be compared pairwise) and the baselines' figures.
/// </summary>
/// <param name="Metrics">Search's metric name → value.</param>
/// <param name="PerExample">Search's metric name → per-example values (e.g. 1 when the target is in the top 50).</param>
/// <param name="Baselines">Baseline name → metric name → value.</param>
/// <param name="BaselinePerExample">Baseline name → metric name → per-example values.</param>
public sealed record SearchPathRun(IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, double[]> PerExample,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Baselines,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double[]>> BaselinePerExample);

/// <summary>Exports and evaluates one run's checkpoint on the Search path (the CLI supplies it: it needs the exporter and the serving code).</summary>
/// <param name="checkpointDir">The run's align checkpoint (evaluated).</param>
/// <param name="dataDir">The data.</param>
/// <param name="seed">The run's seed.</param>
public delegate SearchPathRun SearchPathEvaluation(string checkpointDir, string dataDir, int seed);
