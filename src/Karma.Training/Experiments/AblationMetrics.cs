namespace Karma.Training.Experiments;

/// <summary>The columns of the ablation tables, read from a run.</summary>
public static class AblationMetrics
{
    /// <summary>The Search path's metrics (from the exported package, against the baselines).</summary>
    public static readonly string[] SearchMetrics = ["HR@10", "HR@50", "HR@200", "CatP@10", "OOI HR@200", "cold HR@200"];

    /// <summary>The metrics whose differences between objectives get paired intervals.</summary>
    public static readonly string[] ComparedMetrics = ["HR@50", "HR@200", "CatP@10", "OOI HR@200"];

    /// <summary>Search-path column name and how to read it (NaN when the run has no Search-path evaluation).</summary>
    public static readonly (string Name, Func<AblationRun, double> Read)[] SearchColumns =
        SearchMetrics.Select(m => ("Search " + m, (Func<AblationRun, double>)(r => r.Search?.Metrics.GetValueOrDefault(m, double.NaN) ?? double.NaN)))
            .ToArray();

    /// <summary>Embedding-level column name and how to read it (h_t · e over all items, the diagnostics, and the run's training time).</summary>
    public static readonly (string Name, Func<AblationRun, double> Read)[] EmbeddingColumns =
    [
        ("emb HR@50", r => r.Report.Model.All.Hr50),
        ("emb HR@200", r => r.Report.Model.All.Hr200),
        ("emb HR@1000", r => r.Report.Model.All.Hr1000),
        ("emb HR@200 cold", r => r.Report.Model.Cold.Hr200),
        ("SF@50", r => r.Report.SemanticFidelity50),
        ("sink max-mass", r => r.Report.AttentionSinks.MaxKeyMass),
        ("align s", r => r.TrainSeconds),
    ];

    /// <summary>Every column.</summary>
    public static IEnumerable<(string Name, Func<AblationRun, double> Read)> Columns => SearchColumns.Concat(EmbeddingColumns);
}
