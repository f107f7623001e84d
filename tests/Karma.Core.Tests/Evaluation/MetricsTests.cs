using Karma.Core.Evaluation;

namespace Karma.Core.Tests.Evaluation;

public sealed class MetricsTests
{
    [Theory]
    [InlineData(0, 10, 1.0)]
    [InlineData(1, 10, 0.63092975357145753)] // 1/log2(3)
    [InlineData(9, 10, 0.28906482631788782)] // 1/log2(11)
    [InlineData(10, 10, 0.0)]
    public void Ndcg_MatchesHandComputedValues(int rank, int k, double expected)
        => Assert.Equal(expected, RankingMetrics.Ndcg(rank, k), 12);

    [Theory]
    [InlineData(0, 1, 1.0)]
    [InlineData(49, 50, 1.0)]
    [InlineData(50, 50, 0.0)]
    public void HitRate_CountsInsideCutoff(int rank, int k, double expected)
        => Assert.Equal(expected, RankingMetrics.HitRate(rank, k));

    [Fact]
    public void RankOf_CountsHigherScoresAndEarlierTies()
    {
        float[] scores = [0.5f, 0.9f, 0.5f, 0.1f, 0.7f];
        Assert.Equal(1, RankingMetrics.RankOf(scores, 4)); // only 0.9 is higher
        Assert.Equal(2, RankingMetrics.RankOf(scores, 0)); // 0.9, 0.7
        Assert.Equal(3, RankingMetrics.RankOf(scores, 2)); // 0.9, 0.7 and the tie at index 0
        Assert.Equal(4, RankingMetrics.RankOf(scores, 3));
    }

    [Fact]
    public void RankOf_NaNTargetRanksLast()
        => Assert.Equal(2, RankingMetrics.RankOf([1f, float.NaN, 0f], 1));

    [Fact]
    public void Auc_HandComputed()
    {
        // positives 0.8 and 0.4; negatives 0.6, 0.2, 0.4 -> pairs: (0.8>0.6,0.8>0.2,0.8>0.4)=3, (0.4<0.6, 0.4>0.2, tie 0.5)=1.5 -> 4.5/6
        float[] s = [0.8f, 0.6f, 0.4f, 0.2f, 0.4f];
        bool[] y = [true, false, true, false, false];
        Assert.Equal(0.75, AucMetrics.Auc(s, y)!.Value, 12);
    }

    [Fact]
    public void Auc_OneClassIsUndefined()
    {
        Assert.Null(AucMetrics.Auc([0.1f, 0.2f], [true, true]));
        Assert.Null(AucMetrics.Auc([0.1f, 0.2f], [false, false]));
    }

    [Fact]
    public void Auc_MatchesPairCountingOnRandomData()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = rng.Next(2, 40);
            var s = new float[n];
            var y = new bool[n];
            for (int i = 0; i < n; i++)
            {
                s[i] = rng.Next(0, 6) / 5f; // many ties
                y[i] = rng.NextDouble() < 0.4;
            }

            double pairs = 0, wins = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    if (y[i] && !y[j])
                    {
                        pairs++;
                        wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                    }
                }
            }

            double? auc = AucMetrics.Auc(s, y);
            if (pairs == 0)
            {
                Assert.Null(auc);
            }
            else
            {
                Assert.Equal(wins / pairs, auc!.Value, 10);
            }
        }
    }

    [Fact]
    public void GroupAuc_WeightsBySizeAndSkipsOneClassGroups()
    {
        var groups = new (float[], bool[])[]
        {
            ([0.9f, 0.1f], [true, false]),                 // AUC 1, weight 2
            ([0.1f, 0.5f, 0.9f, 0.3f], [true, false, false, false]), // AUC 0, weight 4
            ([0.3f], [true]),                              // skipped
        };
        var (gauc, count) = AucMetrics.GroupAuc(groups);
        Assert.Equal(2, count);
        Assert.Equal(2.0 / 6.0, gauc, 12);
    }
}
