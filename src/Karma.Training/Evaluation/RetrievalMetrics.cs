using Karma.Core.Evaluation;

namespace Karma.Training.Evaluation;

/// <summary>HR@50/200/1000 and NDCG@10 over a set of target ranks.</summary>
public sealed record RetrievalMetrics
{
    /// <summary>Examples counted.</summary>
    public int Count { get; init; }

    /// <summary>Hit rate at 50.</summary>
    public double Hr50 { get; init; }

    /// <summary>Hit rate at 200.</summary>
    public double Hr200 { get; init; }

    /// <summary>Hit rate at 1000.</summary>
    public double Hr1000 { get; init; }

    /// <summary>NDCG at 10.</summary>
    public double Ndcg10 { get; init; }

    /// <summary>Aggregates zero-based ranks (NaN metrics when empty).</summary>
    public static RetrievalMetrics FromRanks(IReadOnlyCollection<int> ranks)
    {
        ArgumentNullException.ThrowIfNull(ranks);
        if (ranks.Count == 0)
        {
            return new RetrievalMetrics { Hr50 = double.NaN, Hr200 = double.NaN, Hr1000 = double.NaN, Ndcg10 = double.NaN };
        }

        return new RetrievalMetrics
        {
            Count = ranks.Count,
            Hr50 = ranks.Average(r => RankingMetrics.HitRate(r, 50)),
            Hr200 = ranks.Average(r => RankingMetrics.HitRate(r, 200)),
            Hr1000 = ranks.Average(r => RankingMetrics.HitRate(r, 1000)),
            Ndcg10 = ranks.Average(r => RankingMetrics.Ndcg(r, 10)),
        };
    }
}

/// <summary>Retrieval quality overall and split by whether the target had training engagements.</summary>
public sealed record SplitMetrics(RetrievalMetrics All, RetrievalMetrics Warm, RetrievalMetrics Cold);
