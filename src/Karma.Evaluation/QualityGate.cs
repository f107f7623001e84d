using System.Globalization;
using Karma.Core.Package;
using Karma.Training.Configuration;

namespace Karma.Evaluation;

/// <summary>
/// Judges an exported package's Search-path evaluation against <see cref="QualityGateConfig"/>: a model that does not
/// significantly beat the best non-neural baseline, or whose embedding falls under the floors (recall alone, cold
/// targets, semantic fidelity, attention sinks, decodability), is not one to ship.
/// </summary>
public static class QualityGate
{
    /// <summary>The checkpoint metrics the floors read (as the manifest names them).</summary>
    public const string SemanticFidelityMetric = "semantic_fidelity50", SinkMassMetric = "attention_sink_max_mass";

    /// <summary>The verdict on <paramref name="report"/>, with the figures it rests on.</summary>
    /// <param name="report">The Search-path evaluation of the package.</param>
    /// <param name="checkpointMetrics">Metrics measured on the checkpoint (semantic fidelity, attention sinks).</param>
    /// <param name="config">What to check.</param>
    /// <param name="forced">The package is written even if a check fails.</param>
    public static ManifestQuality Judge(QualityReport report, IReadOnlyDictionary<string, double> checkpointMetrics, QualityGateConfig config, bool forced)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(checkpointMetrics);
        ArgumentNullException.ThrowIfNull(config);
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var checks = new List<ManifestGateCheck>();
        var search = report.Systems.Single(s => s.Name == "search");
        var baselines = report.Systems.Where(s => s.Kind == "baseline").ToList();
        foreach (string metric in config.Metrics)
        {
            if (!QualityEvaluator.ComparedMetrics.Contains(metric))
            {
                throw new InvalidDataException($"gate.metrics: '{metric}' is not compared with the baselines (one of {string.Join(", ", QualityEvaluator.ComparedMetrics)})");
            }

            var best = baselines.MaxBy(b => b.Metrics[metric])!;
            var d = report.Comparisons.Single(c => c.B == best.Name && c.Metric == metric);
            string key = Key(metric);
            figures[$"search_{key}"] = search.Metrics[metric];
            figures[$"best_baseline_{key}"] = best.Metrics[metric];
            figures[$"search_minus_best_baseline_{key}"] = d.Difference;
            checks.Add(new ManifestGateCheck($"search beats the best baseline on {metric}", d.Low > 0,
                Invariant($"search {search.Metrics[metric]:F4} vs {best.Name} {best.Metrics[metric]:F4}: {d.Difference:+0.0000;-0.0000} [{d.Low:+0.0000;-0.0000}, {d.High:+0.0000;-0.0000}] (the interval must be above 0)")));
        }

        double embedding = report.Systems.Single(s => s.Name == "karma channel").Metrics["HR@200"];
        double cold = search.Metrics["cold HR@200"];
        figures["embedding_hr200"] = embedding;
        figures["search_cold_hr200"] = cold;
        Floor(checks, "embedding HR@200", embedding, config.MinEmbeddingHr200);
        Floor(checks, "Search cold HR@200", cold, config.MinColdHr200);
        // Checkpoint figures may be missing (an older checkpoint): not recorded then, and a floor on them fails (NaN).
        double fidelity = checkpointMetrics.GetValueOrDefault(SemanticFidelityMetric, double.NaN);
        double sink = checkpointMetrics.GetValueOrDefault(SinkMassMetric, double.NaN);
        Record(figures, SemanticFidelityMetric, fidelity);
        Record(figures, SinkMassMetric, sink);
        Floor(checks, "semantic fidelity SF@50", fidelity, config.MinSemanticFidelity);
        if (config.MaxSinkMass < 1)
        {
            checks.Add(new ManifestGateCheck("attention-sink mass", sink <= config.MaxSinkMass, Invariant($"{sink:F4} (ceiling {config.MaxSinkMass:F4})")));
        }

        if (report.ExplainAccuracy is { } explain)
        {
            figures["explain_category_leaf"] = explain.Leaf;
            figures["explain_category_leaf_or_parent"] = explain.LeafOrParent;
        }

        Floor(checks, "Explain names the target's leaf category", report.ExplainAccuracy?.Leaf ?? double.NaN, config.MinExplainLeaf);
        bool passed = checks.All(c => c.Passed);
        return new ManifestQuality(report.Split, report.Examples, figures, new ManifestGate(passed, forced && !passed, checks));
    }

    private static void Record(Dictionary<string, double> figures, string name, double value)
    {
        if (!double.IsNaN(value))
        {
            figures[name] = value;
        }
    }

    /// <summary>A floor of 0 is not a check; a missing figure (NaN) fails one.</summary>
    private static void Floor(List<ManifestGateCheck> checks, string name, double value, double floor)
    {
        if (floor > 0)
        {
            checks.Add(new ManifestGateCheck(name, value >= floor, Invariant($"{value:F4} (floor {floor:F4})")));
        }
    }

    private static string Key(string metric) => metric.Replace("@", string.Empty, StringComparison.Ordinal).Replace(' ', '_').ToLowerInvariant();

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
