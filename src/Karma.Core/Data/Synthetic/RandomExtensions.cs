namespace Karma.Core.Data.Synthetic;

/// <summary>Sampling helpers on <see cref="Random"/>; all deterministic for a seeded instance.</summary>
internal static class RandomExtensions
{
    /// <summary>A standard normal sample (Box-Muller, one value per call for simplicity).</summary>
    public static double NextGaussian(this Random random)
    {
        double u1 = 1.0 - random.NextDouble(); // (0, 1]
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public static bool Chance(this Random random, double p) => random.NextDouble() < p;

    /// <summary>A uniformly chosen element.</summary>
    public static T Pick<T>(this Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/>.</summary>
    public static int PickWeighted(this Random random, ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (double w in weights)
        {
            total += w;
        }

        double x = random.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    /// <summary>Number of failures before the first success for a geometric law with the given mean.</summary>
    public static int NextGeometric(this Random random, double mean)
    {
        if (mean <= 0)
        {
            return 0;
        }

        double p = 1.0 / (1.0 + mean);
        return (int)Math.Floor(Math.Log(1.0 - random.NextDouble()) / Math.Log(1.0 - p));
    }
}
