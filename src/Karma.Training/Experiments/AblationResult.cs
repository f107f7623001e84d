using Karma.Training.Evaluation;

namespace Karma.Training.Experiments;

/// <summary>One trained and evaluated variant.</summary>
public sealed record AblationRun(string Objective, int Seed, double TrainSeconds, EvaluationReport Report);

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

/// <summary>The whole ablation: every run and the aggregated table.</summary>
public sealed record AblationResult(string Data, string Pretrain, double PretrainSeconds, IReadOnlyList<AblationRun> Runs,
    IReadOnlyList<AblationRow> Rows, AblationRow Popularity, double TotalSeconds);
