using Karma.Training.Evaluation;

namespace Karma.Training.Experiments;

/// <summary>One trained and evaluated variant: embedding-level report, and the Search path's when it was evaluated.</summary>
public sealed record AblationRun(string Objective, int Seed, double TrainSeconds, EvaluationReport Report, SearchPathRun? Search);

/// <summary>Mean and sample standard deviation of one metric over seeds.</summary>
public sealed record Stat(double Mean, double Std)
{
    /// <summary>Aggregates values (std 0 for a single value).</summary>
    public static Stat Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Stat(mean, std);
    }
}

/// <summary>The metrics of one objective aggregated over seeds.</summary>
public sealed record AblationRow(string Objective, int Seeds, IReadOnlyDictionary<string, Stat> Metrics);

/// <summary>A difference between two objectives' Search paths on one metric, with its paired bootstrap interval over seeds and examples.</summary>
public sealed record ObjectiveDifference(string Objective, string Baseline, string Metric, double Difference, double Low, double High, bool Significant);

/// <summary>The whole ablation: every run, the aggregated table, the baselines and the paired differences.</summary>
public sealed record AblationResult(string Data, string Pretrain, double PretrainSeconds, IReadOnlyList<AblationRun> Runs,
    IReadOnlyList<AblationRow> Rows, AblationRow Popularity, IReadOnlyList<AblationRow> Baselines,
    IReadOnlyList<ObjectiveDifference> Differences, double TotalSeconds);
