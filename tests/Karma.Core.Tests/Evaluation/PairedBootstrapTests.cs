using Karma.Core.Evaluation;

namespace Karma.Core.Tests.Evaluation;

public sealed class PairedBootstrapTests
{
    [Fact]
    public void ConstantDifference_GivesAPointInterval()
    {
        var rng = new Random(3);
        double[] b = Enumerable.Range(0, 500).Select(_ => rng.NextDouble()).ToArray();
        double[] a = b.Select(x => x + 0.25).ToArray();
        var d = PairedBootstrap.Difference(a, b);
        Assert.Equal(0.25, d.Mean, 12);
        Assert.Equal(0.25, d.Low, 9);
        Assert.Equal(0.25, d.High, 9);
        Assert.True(d.Significant);
    }

    [Fact]
    public void IdenticalSystems_AreNotSignificant()
    {
        double[] a = Enumerable.Range(0, 300).Select(i => (double)(i % 2)).ToArray();
        var d = PairedBootstrap.Difference(a, a);
        Assert.Equal(0, d.Mean);
        Assert.Equal(0, d.Low);
        Assert.Equal(0, d.High);
        Assert.False(d.Significant);
    }

    [Fact]
    public void HitDifferences_MatchTheNormalApproximation()
    {
        // Per-example differences of hit indicators: +1 on 30%, -1 on 20%, 0 elsewhere (n = 4000).
        // Mean 0.1, variance 0.5 - 0.01 = 0.49, standard error 0.7 / sqrt(4000) = 0.011068;
        // the 95% interval is 0.1 ± 1.96 · 0.011068 = [0.0783, 0.1217].
        int n = 4000;
        var a = new double[n];
        var b = new double[n];
        for (int i = 0; i < n; i++)
        {
            int bucket = i % 10;
            (a[i], b[i]) = bucket < 3 ? (1.0, 0.0) : bucket < 5 ? (0.0, 1.0) : bucket < 8 ? (1.0, 1.0) : (0.0, 0.0);
        }

        var d = PairedBootstrap.Difference(a, b, replicates: 4000, seed: 11);
        Assert.Equal(0.1, d.Mean, 12);
        double halfWidth = 1.96 * 0.7 / Math.Sqrt(n);
        Assert.InRange(d.Low, 0.1 - (1.1 * halfWidth), 0.1 - (0.9 * halfWidth));
        Assert.InRange(d.High, 0.1 + (0.9 * halfWidth), 0.1 + (1.1 * halfWidth));
    }

    [Fact]
    public void Pairing_DetectsASmallShiftHiddenInLargeExampleVariance()
    {
        // Examples differ a lot (0..100), A is B + 0.5 plus small noise: unpaired intervals would span about ±1.8;
        // the paired one must be tight around 0.5.
        var rng = new Random(5);
        double[] b = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 100).ToArray();
        double[] a = b.Select(x => x + 0.5 + ((rng.NextDouble() - 0.5) * 0.2)).ToArray();
        var d = PairedBootstrap.Difference(a, b);
        Assert.True(d.Significant);
        Assert.InRange(d.Low, 0.49, 0.5);
        Assert.InRange(d.High, 0.5, 0.51);
    }

    [Fact]
    public void SeedSpread_WidensTheInterval()
    {
        // Same examples; system A's seeds disagree by ±0.05 on every example. With one seed the interval is a point,
        // with both seeds resampled it must cover the seed spread.
        double[] b = Enumerable.Repeat(0.5, 200).ToArray();
        double[] seed1 = Enumerable.Repeat(0.55, 200).ToArray();
        double[] seed2 = Enumerable.Repeat(0.65, 200).ToArray();
        var one = PairedBootstrap.DifferenceOverSeeds([seed1], [b]);
        var two = PairedBootstrap.DifferenceOverSeeds([seed1, seed2], [b]);
        Assert.Equal(one.Low, one.High, 9);
        Assert.Equal(0.1, two.Mean, 12);
        Assert.Equal(0.05, two.Low, 9);
        Assert.Equal(0.15, two.High, 9);
    }

    [Fact]
    public void SameSeed_GivesTheSameInterval()
    {
        var rng = new Random(9);
        double[] a = Enumerable.Range(0, 400).Select(_ => (double)rng.Next(2)).ToArray();
        double[] b = Enumerable.Range(0, 400).Select(_ => (double)rng.Next(2)).ToArray();
        Assert.Equal(PairedBootstrap.Difference(a, b, seed: 4), PairedBootstrap.Difference(a, b, seed: 4));
    }

    [Fact]
    public void MismatchedExamples_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => PairedBootstrap.Difference([1.0, 0.0], [1.0]));
        Assert.Contains("same examples", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PairedBootstrap.Difference([1.0, double.NaN], [1.0, 0.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedBootstrap.Difference([1.0], [1.0], level: 1.0));
    }

    [Fact]
    public void NoExamples_GiveNaN()
        => Assert.True(double.IsNaN(PairedBootstrap.Difference(Array.Empty<double>(), Array.Empty<double>()).Mean));
}
