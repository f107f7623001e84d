namespace Karma.Core.Evaluation;

/// <summary>A difference between two systems with its bootstrap confidence interval.</summary>
/// <param name="Mean">Mean of A minus mean of B over all seeds and examples.</param>
/// <param name="Low">Lower end of the interval (the (1 − level)/2 percentile of the resampled differences).</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="Level">Coverage of the interval (0.95 for a 95% interval).</param>
public sealed record DifferenceInterval(double Mean, double Low, double High, double Level)
{
    /// <summary>True when the interval excludes 0: the difference is significant at this level.</summary>
    public bool Significant => Low > 0 || High < 0;
}

/// <summary>
/// Paired bootstrap of the difference between two systems scored on the same examples (and, for trained
/// systems, the same seeds): each replicate draws examples with replacement, and seeds with replacement when
/// there are several, and takes the mean difference of the drawn cells. Pairing — every replicate uses the
/// same draws for A and B — removes the between-example variance the two systems share, which is what makes a
/// 1-point difference on 2,000 examples measurable. The interval is the percentile interval of the replicates.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>Replicates drawn by default.</summary>
    public const int DefaultReplicates = 2000;

    /// <summary>The difference of per-example values of two systems on the same examples (one seed each).</summary>
    /// <param name="a">System A's value per example (e.g. 1 when the target is in its top 50).</param>
    /// <param name="b">System B's value per example, same order.</param>
    /// <param name="replicates">Bootstrap replicates.</param>
    /// <param name="level">Interval coverage, in (0, 1).</param>
    /// <param name="seed">Seed of the resampling (the same seed gives the same interval).</param>
    public static DifferenceInterval Difference(IReadOnlyList<double> a, IReadOnlyList<double> b,
        int replicates = DefaultReplicates, double level = 0.95, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return DifferenceOverSeeds([a], [b], replicates, level, seed);
    }

    /// <summary>
    /// The difference of two systems over seeds × examples. <paramref name="a"/>[s][i] is system A's value on
    /// example i with seed s; every seed row must cover the same examples in the same order, for both systems.
    /// A and B may have different seed counts (a trained system against a deterministic baseline: pass one row
    /// for the baseline); seeds are resampled per system, examples jointly.
    /// </summary>
    public static DifferenceInterval DifferenceOverSeeds(IReadOnlyList<IReadOnlyList<double>> a, IReadOnlyList<IReadOnlyList<double>> b,
        int replicates = DefaultReplicates, double level = 0.95, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicates, 1);
        if (level is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "must be in (0, 1)");
        }

        double[][] sa = Rows(a, nameof(a));
        double[][] sb = Rows(b, nameof(b));
        int n = sa[0].Length;
        if (sb[0].Length != n)
        {
            throw new ArgumentException($"system A has {n} examples, system B {sb[0].Length}; a paired comparison needs the same examples", nameof(b));
        }

        if (n == 0)
        {
            return new DifferenceInterval(double.NaN, double.NaN, double.NaN, level);
        }

        double mean = MeanOfRows(sa) - MeanOfRows(sb);
        var random = new Random(seed);
        var diffs = new double[replicates];
        var weights = new int[n];
        for (int r = 0; r < replicates; r++)
        {
            // Example multiplicities of this replicate (one multinomial draw of n), shared by A and B.
            Array.Clear(weights);
            for (int i = 0; i < n; i++)
            {
                weights[random.Next(n)]++;
            }

            diffs[r] = ResampledMean(sa, weights, random) - ResampledMean(sb, weights, random);
        }

        Array.Sort(diffs);
        double tail = (1 - level) / 2;
        return new DifferenceInterval(mean, Percentile(diffs, tail), Percentile(diffs, 1 - tail), level);
    }

    /// <summary>Mean over a seed-resampled set of rows, each row weighted by the example multiplicities.</summary>
    private static double ResampledMean(double[][] rows, int[] weights, Random random)
    {
        double total = 0;
        for (int s = 0; s < rows.Length; s++)
        {
            double[] row = rows.Length == 1 ? rows[0] : rows[random.Next(rows.Length)];
            double sum = 0;
            for (int i = 0; i < row.Length; i++)
            {
                sum += weights[i] * row[i];
            }

            total += sum / row.Length;
        }

        return total / rows.Length;
    }

    private static double MeanOfRows(double[][] rows) => rows.Average(r => r.Average());

    /// <summary>Linear interpolation between the closest ranks of a sorted array.</summary>
    private static double Percentile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    private static double[][] Rows(IReadOnlyList<IReadOnlyList<double>> values, string name)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("needs at least one seed row", name);
        }

        var rows = values.Select(v => (v ?? throw new ArgumentException("a seed row is null", name)).ToArray()).ToArray();
        if (rows.Any(r => r.Length != rows[0].Length))
        {
            throw new ArgumentException("every seed row must cover the same examples", name);
        }

        if (rows.Any(r => r.Any(double.IsNaN)))
        {
            throw new ArgumentException("values must not be NaN", name);
        }

        return rows;
    }
}
