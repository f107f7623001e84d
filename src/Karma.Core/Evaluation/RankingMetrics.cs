namespace Karma.Core.Evaluation;

/// <summary>Retrieval metrics from the zero-based rank of the one relevant item among all candidates.</summary>
public static class RankingMetrics
{
    /// <summary>1 when the target is within the first <paramref name="k"/> results, else 0.</summary>
    public static double HitRate(int rank, int k) => rank >= 0 && rank < k ? 1.0 : 0.0;

    /// <summary>NDCG@k with one relevant item: 1/log2(rank+2) inside the cut-off, else 0 (the ideal DCG is 1).</summary>
    public static double Ndcg(int rank, int k) => rank >= 0 && rank < k ? 1.0 / Math.Log2(rank + 2) : 0.0;

    /// <summary>
    /// Zero-based rank of <paramref name="target"/> when items are sorted by descending score: the number of
    /// items scoring strictly higher plus the number of equal scores at a lower index (a deterministic tie
    /// break that neither rewards nor punishes constant scorers systematically).
    /// </summary>
    public static int RankOf(ReadOnlySpan<float> scores, int target)
    {
        float t = scores[target];
        if (float.IsNaN(t))
        {
            return scores.Length - 1;
        }

        int rank = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (s > t || (s == t && i < target))
            {
                rank++;
            }
        }

        return rank;
    }
}
