namespace Karma.LoadTesting;

/// <summary>Per-second figures and recovery from a run's request timeline.</summary>
public static class TimelineAnalysis
{
    /// <summary>Requests grouped by the second of their due time, from 0 to <paramref name="seconds"/>.</summary>
    public static IReadOnlyList<SecondStats> PerSecond(IReadOnlyList<TimelinePoint> points, double seconds)
    {
        ArgumentNullException.ThrowIfNull(points);
        int buckets = Math.Max(1, (int)Math.Ceiling(seconds));
        var groups = points.Where(p => p.DueSeconds >= 0).GroupBy(p => Math.Min(buckets - 1, (int)p.DueSeconds)).ToDictionary(g => g.Key, g => g.ToList());
        var stats = new List<SecondStats>(buckets);
        for (int s = 0; s < buckets; s++)
        {
            var group = groups.GetValueOrDefault(s) ?? [];
            float[] ok = group.Where(p => p.IsOk).Select(p => p.Ms).ToArray();
            Array.Sort(ok);
            var errors = group.Where(p => !p.IsOk).GroupBy(p => CallStatus.Name(p.Status))
                .ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
            // Rounded to the microsecond: the float latencies would otherwise print as 4.9054999351501465.
            stats.Add(new SecondStats(s, group.Count, ok.Length, errors, Math.Round(Percentile(ok, 50), 3), Math.Round(Percentile(ok, 99), 3)));
        }

        return stats;
    }

    /// <summary>
    /// Seconds after <paramref name="stormEnd"/> until the successes' p99 (corrected, per second of due time, seconds
    /// counted from the storm's end) is within <paramref name="thresholdMs"/> and stays there until
    /// <paramref name="runEnd"/>: the start of the first such second. A second with requests but no success is not
    /// recovered (everything was refused or failed); a second without any request says nothing either way. Null
    /// when the last second is still above the threshold (not recovered within the run) or there is nothing after the storm.
    /// </summary>
    public static double? RecoverySeconds(IReadOnlyList<TimelinePoint> points, double stormEnd, double runEnd, double thresholdMs)
    {
        ArgumentNullException.ThrowIfNull(points);
        int buckets = (int)Math.Ceiling(runEnd - stormEnd - 1e-9);
        if (buckets <= 0 || double.IsNaN(thresholdMs))
        {
            return null;
        }

        var latencies = new List<float>[buckets];
        var sent = new int[buckets];
        foreach (var p in points)
        {
            if (p.DueSeconds < stormEnd || p.DueSeconds >= runEnd)
            {
                continue;
            }

            int b = Math.Min(buckets - 1, (int)(p.DueSeconds - stormEnd));
            sent[b]++;
            if (p.IsOk)
            {
                (latencies[b] ??= []).Add(p.Ms);
            }
        }

        if (sent.Sum() == 0)
        {
            return null;
        }

        int recoveredFrom = buckets; // the first second of the final run of good (or empty) seconds
        for (int b = buckets - 1; b >= 0; b--)
        {
            bool good = sent[b] == 0 || (latencies[b] is { Count: > 0 } l && Percentile(Sorted(l), 99) <= thresholdMs);
            if (!good)
            {
                break;
            }

            recoveredFrom = b;
        }

        return recoveredFrom == buckets ? null : recoveredFrom;
    }

    /// <summary>Nearest-rank percentile of sorted values; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<float> sorted, double percentile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        int rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static float[] Sorted(List<float> values)
    {
        float[] a = values.ToArray();
        Array.Sort(a);
        return a;
    }
}
