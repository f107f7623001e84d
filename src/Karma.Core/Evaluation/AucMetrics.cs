namespace Karma.Core.Evaluation;

/// <summary>Area under the ROC curve, and its per-group average (gAUC) as used for ranking models.</summary>
public static class AucMetrics
{
    /// <summary>
    /// AUC of one group: the probability that a random positive outscores a random negative, ties counting
    /// one half. Returns null when the group lacks positives or negatives (AUC is undefined there).
    /// </summary>
    public static double? Auc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"scores has {scores.Length} entries but labels has {labels.Length}", nameof(labels));
        }

        // Rank-sum (Mann-Whitney U) with average ranks for ties: O(n log n).
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        float[] s = scores.ToArray();
        Array.Sort(s, order);
        double rankSumPositive = 0;
        long positives = 0;
        int start = 0;
        while (start < n)
        {
            int end = start;
            while (end + 1 < n && s[end + 1] == s[start])
            {
                end++;
            }

            double averageRank = (start + end) / 2.0 + 1.0;
            for (int j = start; j <= end; j++)
            {
                if (labels[order[j]])
                {
                    rankSumPositive += averageRank;
                    positives++;
                }
            }

            start = end + 1;
        }

        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>
    /// Group AUC: the AUC of every group that has both classes, averaged with each group weighted by its
    /// size (the usual gAUC of ranking papers). Returns the value and how many groups counted.
    /// </summary>
    public static (double Gauc, int Groups) GroupAuc(IEnumerable<(float[] Scores, bool[] Labels)> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        double weighted = 0;
        double weight = 0;
        int counted = 0;
        foreach (var (scores, labels) in groups)
        {
            if (Auc(scores, labels) is { } auc)
            {
                weighted += auc * scores.Length;
                weight += scores.Length;
                counted++;
            }
        }

        return (counted == 0 ? double.NaN : weighted / weight, counted);
    }
}
