using Karma.Training.Evaluation;

namespace Karma.Training.Experiments;

/// <summary>The columns of the ablation table, read from an evaluation report.</summary>
public static class AblationMetrics
{
    /// <summary>Column name and how to read it.</summary>
    public static readonly (string Name, Func<EvaluationReport, double> Read)[] Columns =
    [
        ("HR@50", r => r.Model.All.Hr50),
        ("HR@200", r => r.Model.All.Hr200),
        ("HR@1000", r => r.Model.All.Hr1000),
        ("NDCG@10", r => r.Model.All.Ndcg10),
        ("HR@200 warm", r => r.Model.Warm.Hr200),
        ("HR@200 cold", r => r.Model.Cold.Hr200),
        ("SF@50", r => r.SemanticFidelity50),
        ("sink max-mass", r => r.AttentionSinks.MaxKeyMass),
        ("gAUC +h_t", r => r.PreRank?.GaucWithInterest ?? double.NaN),
        ("gAUC history-mean", r => r.PreRank?.GaucWithoutInterest ?? double.NaN),
    ];

    /// <summary>The popularity baseline's values for the retrieval columns (NaN elsewhere).</summary>
    public static double Popularity(EvaluationReport r, string column)
    {
        ArgumentNullException.ThrowIfNull(r);
        return column switch
        {
            "HR@50" => r.Popularity.All.Hr50,
            "HR@200" => r.Popularity.All.Hr200,
            "HR@1000" => r.Popularity.All.Hr1000,
            "NDCG@10" => r.Popularity.All.Ndcg10,
            "HR@200 warm" => r.Popularity.Warm.Hr200,
            "HR@200 cold" => r.Popularity.Cold.Hr200,
            _ => double.NaN,
        };
    }
}
